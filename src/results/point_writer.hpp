// Writes one point's results file collectively with parallel HDF5 (each rank its own rows).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
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
  /// CPUs the rank's threads were seen running on (sampled), e.g. "0-1"; "" if not sampled.
  std::string cpus_used;
  int omp_threads = -1;  ///< OpenMP threads the rank ran with (omp_get_max_threads), -1 unknown
};

/// A named attribute value: int64, float64, bool or string.
struct Attribute {
  std::string name;
  core::ParamValue value;
};

/// One column of a record table: every column of a table has the same number of rows.
struct TableColumn {
  std::string name;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;

  std::size_t rows() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
  }
};

/// Rows one rank adds to a table of records (e.g. one row per inference request it served).
/// Ranks may add any number of rows, including none; ranks that add a table must give the same
/// columns with the same types.
struct RecordTable {
  std::string name;
  std::vector<TableColumn> columns;
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
  /// /tables/<name>/<column>: this rank's rows, concatenated with every other rank's in rank
  /// order, beside a /tables/<name>/rank column.
  std::vector<RecordTable> tables;
};

/// Collective over `comm` (every rank of the job). Writes `path` as "<path>.tmp" and renames it
/// to `path` once every rank's data is in and the file is closed, so a crash never leaves a
/// file under the final name. Throws ResultsError naming the failing HDF5 call or the
/// inconsistent input (e.g. two ranks recording one operation with different sample counts).
void write_point_file(MPI_Comm comm, const std::string& path, const PointRecord& mine);

}  // namespace scalestudy::results
