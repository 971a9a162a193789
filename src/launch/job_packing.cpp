// Packing points into allocations by node count and wall time.
#include "launch/job_packing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>

#include "core/error.hpp"
#include "core/layout_parameters.hpp"
#include "core/parameters.hpp"
#include "launch/allocation.hpp"

namespace scalestudy::launch {
namespace {

/// Ranks on the busiest node of `point`.
int busiest_node_ranks(const study::Study& study, const study::StudyPoint& point) {
  const auto ranks = ranks_on_nodes(study, point);
  return *std::max_element(ranks.begin(), ranks.end());
}

/// Threads of the busiest rank of `point`.
int busiest_rank_threads(const study::StudyPoint& point) {
  const core::RankThreads threads = core::rank_threads(point.params);
  return std::max(threads.client, threads.database);
}

/// The node count each size's points run in: their own, or the smallest larger one they may
/// ride in (which does not itself ride).
std::map<int, int> ride_targets(const std::vector<int>& sizes, double max_idle) {
  std::map<int, int> target;
  std::vector<int> kept;  // sizes that keep their own allocations, largest first
  for (auto it = sizes.rbegin(); it != sizes.rend(); ++it) {
    const int n = *it;
    int best = n;
    for (const int m : kept) {
      if (m > n && (m - n) <= max_idle * m) best = m;  // kept is descending: ends at the smallest
    }
    target[n] = best;
    if (best == n) kept.push_back(n);
  }
  return target;
}

}  // namespace

double Packing::node_hours() const {
  double total = 0;
  for (const auto& job : jobs) total += job.nodes * job.wall_time_s / 3600;
  return total;
}

Packing pack_points(const study::Study& study, const std::vector<const study::StudyPoint*>& points,
                    const PackingOptions& options) {
  Packing packing;
  std::map<int, std::vector<const study::StudyPoint*>> by_nodes;
  for (const auto* point : points) {
    const int nodes = nodes_needed(study, *point);
    if (options.max_nodes > 0 && nodes > options.max_nodes) {
      packing.left_out.emplace_back(
          point, "needs " + std::to_string(nodes) + " nodes, more than the " +
                     std::to_string(options.max_nodes) + " of " + options.max_nodes_source);
      continue;
    }
    by_nodes[nodes].push_back(point);
  }
  std::vector<int> sizes;
  for (const auto& [nodes, group] : by_nodes) sizes.push_back(nodes);
  const auto target = ride_targets(sizes, options.max_idle);
  std::map<int, std::vector<const study::StudyPoint*>> by_allocation;
  for (const auto& [nodes, group] : by_nodes) {
    auto& into = by_allocation[target.at(nodes)];
    into.insert(into.end(), group.begin(), group.end());
  }
  const double timeout = study.timeout_s;
  if (timeout + kJobMarginSeconds > options.max_time_s) {
    throw ConfigError("one point may run for timeout_s=" + core::format_value(timeout) +
                      " s, which with the job margin of " + wall_time_text(kJobMarginSeconds) +
                      " is more than --max-time " + wall_time_text(options.max_time_s) +
                      "; raise --max-time or lower the study's timeout_s");
  }
  for (auto& [nodes, group] : by_allocation) {
    // Riders joined after the allocation's own points: back to study order.
    std::sort(group.begin(), group.end());
    JobAllocation job;
    for (const auto* point : group) {
      if (!job.points.empty() && job.wall_time_s + timeout > options.max_time_s) {
        packing.jobs.push_back(std::move(job));
        job = JobAllocation{};
      }
      if (job.points.empty()) {
        job.nodes = nodes;
        job.wall_time_s = kJobMarginSeconds;
      }
      job.points.push_back(point);
      job.wall_time_s += timeout;
      job.tasks_per_node = std::max(job.tasks_per_node, busiest_node_ranks(study, *point));
      job.cpus_per_task = std::max(job.cpus_per_task, busiest_rank_threads(*point));
    }
    if (!job.points.empty()) packing.jobs.push_back(std::move(job));
  }
  return packing;
}

std::string wall_time_text(double seconds) {
  const auto minutes = static_cast<long long>(std::ceil(seconds / 60 - 1e-9));
  char text[32];
  std::snprintf(text, sizeof(text), "%02lld:%02lld:00", minutes / 60, minutes % 60);
  return text;
}

double parse_wall_time(const std::string& text, const std::string& what) {
  static const std::regex form(R"(^(?:(\d+)-)?(?:(\d+):)?(?:(\d+):)?(\d+)$)");
  std::smatch m;
  if (!std::regex_match(text, m, form)) {
    throw ConfigError(what + " '" + text +
                      "': expected HH:MM:SS, MM:SS, D-HH:MM:SS or minutes, e.g. 24:00:00");
  }
  const auto part = [&](int i) { return m[i].matched ? std::stod(m[i].str()) : 0.0; };
  double seconds = 0;
  if (!m[2].matched && !m[3].matched) {
    seconds = part(1) * 86400 + part(4) * 60;  // minutes alone (D-M is not a form; D-H is)
    if (m[1].matched) seconds = part(1) * 86400 + part(4) * 3600;
  } else if (!m[3].matched) {
    // Two fields: MM:SS, or D-HH:MM with a day.
    seconds =
        m[1].matched ? part(1) * 86400 + part(2) * 3600 + part(4) * 60 : part(2) * 60 + part(4);
  } else {
    seconds = part(1) * 86400 + part(2) * 3600 + part(3) * 60 + part(4);
  }
  if (seconds <= 0) throw ConfigError(what + " '" + text + "' must be longer than zero");
  return seconds;
}

}  // namespace scalestudy::launch
