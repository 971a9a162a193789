// The plan of a point file that every rank derives from the same rank descriptions: shapes,
// rows and offsets, or the same ResultsError on every rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "results/impl/rank_description.hpp"
#include "results/point_record.hpp"

namespace scalestudy::results::detail {

struct OpPlan {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::vector<int> ranks;  ///< row -> rank in comm, increasing
  std::ptrdiff_t my_row = -1;
  const TimingRecorder::Series* mine = nullptr;
};

struct TablePlan {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::uint64_t> types;
  std::vector<std::uint64_t> string_lengths;  ///< longest over all ranks, at least 1
  std::uint64_t total_rows = 0;
  std::uint64_t my_offset = 0;  ///< first row of this rank
  std::uint64_t my_rows = 0;
  const RecordTable* mine = nullptr;
};

struct Plan {
  std::vector<OpPlan> ops;  ///< sorted by name
  std::size_t role_length = 1;
  std::size_t hostname_length = 1;
  std::size_t cpus_length = 1;
  std::size_t cpus_used_length = 1;
  std::vector<std::string> counters;  ///< counter names, in the database ranks' order
  std::vector<int> database_ranks;    ///< ranks with counters, increasing
  std::ptrdiff_t my_database_row = -1;
  std::vector<TablePlan> tables;  ///< sorted by name
};

/// The plan of rank `me` from every rank's description. Throws the same ResultsError on every
/// rank (all ranks see the same `infos`) for invalid or inconsistent input.
Plan make_plan(const std::vector<RankInfo>& infos, int me, const PointRecord& mine);

}  // namespace scalestudy::results::detail
