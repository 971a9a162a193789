// Writes one point's results file collectively with parallel HDF5 (each rank its own rows).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/parameters.hpp"
#include "results/timing_recorder.hpp"

namespace scalestudy::results {

/// One row of /ranks.
struct RankRow {
  int world_rank = -1;
  std::string role;  ///< "client" or "database"
  int node = -1;
  std::string hostname;
  std::string cpus;  ///< CPU affinity, e.g. "0-3,8"
  int client_index = -1;
  int shard = -1;
  std::int64_t peak_rss_bytes = -1;
};

/// A named attribute value: int64, float64, bool or string.
struct Attribute {
  std::string name;
  core::ParamValue value;
};

/// What one rank contributes to the point file.
struct PointRecord {
  std::vector<Attribute> parameters;        ///< /parameters attributes; identical on every rank
  std::vector<Attribute> provenance;        ///< root attributes; identical on every rank
  RankRow rank;                             ///< this rank's row of /ranks
  const TimingRecorder* timings = nullptr;  ///< this rank's samples, or nullptr
  /// Database ranks: named counters (/database/<name>), same names in the same order on every
  /// database rank. Empty on other ranks.
  std::vector<std::pair<std::string, std::uint64_t>> counters;
};

/// Collective over `comm` (every rank of the job). Writes `path` as "<path>.tmp" and renames it
/// to `path` once every rank's data is in and the file is closed, so a crash never leaves a
/// file under the final name. Throws ResultsError naming the failing HDF5 call or the
/// inconsistent input (e.g. two ranks recording one operation with different sample counts).
void write_point_file(MPI_Comm comm, const std::string& path, const PointRecord& mine);

}  // namespace scalestudy::results
