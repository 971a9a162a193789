// What one rank contributes to its point's results file: its row, attributes, samples, tables.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/parameters.hpp"
#include "results/record_table.hpp"
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

}  // namespace scalestudy::results
