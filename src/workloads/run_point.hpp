// Runs one sweep point on every rank of the job: layout, roles, serving or looping, results.
#pragma once

#include <string>

#include "core/parameters.hpp"

namespace scalestudy::workloads {

/// Collective over MPI_COMM_WORLD (MPI must be initialised). Plans the layout (rank 0 prints
/// the role map), runs database ranks and the workload's client loop, writes the point's HDF5
/// file and prints a summary on rank 0. Throws ConfigError (identically on every rank) for a
/// point that cannot run, before any work; other errors are rank-local.
void run_point(const core::Parameters& params, const std::string& command_line);

}  // namespace scalestudy::workloads
