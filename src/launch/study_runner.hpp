// `scalestudy plan` and `scalestudy run`: selecting points, launching them one by one,
// resuming, and keeping the study index up to date.
#pragma once

#include <atomic>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "launch/job_packing.hpp"
#include "launch/launch_line.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {

/// `--only KEY=VALUE` filters: points whose KEY equals one of the values given for it (values
/// parsed as the parameter's type, so tensor_bytes=1MiB matches 1048576), for every KEY given.
/// `id=<point id>` selects by id. Throws ConfigError for an unknown key or a bad value.
class PointFilter {
 public:
  explicit PointFilter(const std::vector<std::string>& only);
  bool selects(const study::StudyPoint& point) const;
  bool empty() const { return keys_.empty(); }
  /// Throws ConfigError when an id=<id> names no point of `study` (the study changed since the
  /// id was written, e.g. into a job script).
  void check_ids(const study::Study& study) const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> keys_;  ///< key -> canonical values
};

/// Points that cannot run where the study runs, with why: larger than the allocation ("needs 3
/// nodes, the allocation has 2"), or more threads than a node's CPUs when the study says
/// skip_oversubscribed ("needs 5 CPUs, this machine has 2").
using LeftOut = std::map<std::string, std::string>;

/// Checks every point before anything runs: workload parameters, and launchability on `host`
/// of every point that can run there. Returns the points that cannot. Throws ConfigError naming
/// the point, or when no point `filter` selects can run.
LeftOut check_points(const study::Study& study, const LaunchHost& host, const PointFilter& filter);

/// Prints the plan: the number of points, the fixed parameters, and for each selected point its
/// id, varied parameters, rank count, status on disk and exact launch line (or why it does not
/// fit the allocation). With `full`, also every resolved parameter. Ends with a footer: points,
/// nodes per point, the allocations `scalestudy jobs` would write with `packing`, and the
/// node-hours they ask for. Runs nothing.
void print_plan(const study::Study& study, const LaunchHost& host, const PointFilter& filter,
                bool full, const PackingOptions& packing, std::ostream& out);

struct RunOptions {
  bool force = false;  ///< re-run points that already have results
  PointFilter filter{{}};
};

struct RunSummary {
  int selected = 0;
  int skipped = 0;   ///< already had a complete results file
  int left_out = 0;  ///< cannot run here: larger than the allocation, or oversubscribed
  int completed = 0;
  int failed = 0;  ///< failed or timed out
  bool interrupted = false;
};

/// Runs every selected point that has no complete results file (all with `force`) and fits the
/// allocation, writing each point's files under results/<study>/points/<id>/ and updating
/// results/<study>/index.h5 (under its lock: other allocations may run the same study) when a
/// point starts and when it ends. A point that cannot run here (check_points) is recorded as
/// skipped with why, a failing point as failed, and the sweep goes on; `interrupt` (SIGINT,
/// SIGTERM, scancel) kills the running point, records it and stops.
RunSummary run_study(const study::Study& study, const LaunchHost& host, const RunOptions& options,
                     const std::atomic<bool>& interrupt, std::ostream& out);

}  // namespace scalestudy::launch
