// Packing a study's points into batch allocations: points that need the same nodes share one,
// smaller points may ride in a larger one, and no allocation runs longer than allowed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "study/study.hpp"

namespace scalestudy::launch {

/// Added to the sum of the points' timeouts in every allocation's wall time: scalestudy's own
/// start, index updates, and the scheduler's prologue and epilogue.
inline constexpr double kJobMarginSeconds = 300;

struct PackingOptions {
  int max_nodes = 0;              ///< largest allocation (--nodes, launcher.nodes); 0: no limit
  std::string max_nodes_source;   ///< what set it, for messages ("--nodes 16", "partition x")
  double max_time_s = 24 * 3600;  ///< longest wall time of one allocation (--max-time)
  /// Share of a larger allocation's nodes that a smaller point may leave idle to ride in it
  /// (--max-idle): 0 gives every node count its own allocations.
  double max_idle = 0;
};

/// One allocation: its size, its points in study order, and its wall time.
struct JobAllocation {
  int nodes = 0;
  int tasks_per_node = 0;  ///< ranks of the busiest node of any of its points
  int cpus_per_task = 0;   ///< threads of the busiest rank of any of its points
  double wall_time_s = 0;  ///< the points' timeout_s summed, plus kJobMarginSeconds
  std::vector<const study::StudyPoint*> points;
};

struct Packing {
  std::vector<JobAllocation> jobs;  ///< smallest allocations first
  /// Points larger than max_nodes, with why: no allocation runs them.
  std::vector<std::pair<const study::StudyPoint*, std::string>> left_out;

  double node_hours() const;  ///< nodes x wall time, summed over the allocations
};

/// Packs `points` (of `study`, in study order). Throws ConfigError when one point alone runs
/// longer than max_time_s.
Packing pack_points(const study::Study& study, const std::vector<const study::StudyPoint*>& points,
                    const PackingOptions& options);

/// Wall time as the schedulers write it: "HH:MM:SS", rounded up to whole minutes (hours may
/// pass 24).
std::string wall_time_text(double seconds);

/// Parses "HH:MM:SS", "MM:SS", "D-HH:MM:SS" or a number of minutes, as sbatch --time does.
/// Throws ConfigError naming `what`.
double parse_wall_time(const std::string& text, const std::string& what);

}  // namespace scalestudy::launch
