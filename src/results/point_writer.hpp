// Writes one point's results file collectively with parallel HDF5 (each rank its own rows).
#pragma once

#include <mpi.h>

#include <string>

#include "results/point_record.hpp"

namespace scalestudy::results {

/// Collective over `comm` (every rank of the job). Writes `path` as "<path>.tmp" and renames it
/// to `path` once every rank's data is in and the file is closed, so a crash never leaves a
/// file under the final name. Throws ResultsError naming the failing HDF5 call or the
/// inconsistent input (e.g. two ranks recording one operation with different sample counts).
void write_point_file(MPI_Comm comm, const std::string& path, const PointRecord& mine);

}  // namespace scalestudy::results
