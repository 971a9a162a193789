// What each rank tells the others before a point file is written: its input's shape, encoded
// for one MPI_Allgatherv, and any error in it.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "results/point_record.hpp"

namespace scalestudy::results::detail {

struct SeriesInfo {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;  ///< payload bytes per operation
  std::uint64_t warmup_count = 0;
  /// Run lengths of the warm-up mask, alternating non-warm-up / warm-up, starting with
  /// non-warm-up (possibly 0): exact, and a handful of numbers for the usual prefix mask.
  std::vector<std::uint64_t> warmup_runs;
};

struct TableInfo {
  std::string name;
  std::uint64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<std::uint64_t> types;           ///< TableColumn::values index per column
  std::vector<std::uint64_t> string_lengths;  ///< longest string per column (0 if numeric)
};

struct RankInfo {
  std::string error;  ///< what is wrong with this rank's input, or ""
  std::uint64_t attribute_hash = 0;
  std::uint64_t role_length = 0;
  std::uint64_t hostname_length = 0;
  std::uint64_t cpus_length = 0;
  std::uint64_t cpus_used_length = 0;
  std::vector<SeriesInfo> series;
  std::vector<std::string> counters;
  std::vector<TableInfo> tables;
};

/// Describes this rank's input, or says what is wrong with it (in `error`).
RankInfo describe(const PointRecord& mine);

/// Every rank's description, in rank order. Collective over `comm` of `size` ranks.
std::vector<RankInfo> gather_descriptions(MPI_Comm comm, int size, const RankInfo& mine);

}  // namespace scalestudy::results::detail
