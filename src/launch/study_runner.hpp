// `scalestudy plan` and `scalestudy run`: selecting points, launching them one by one,
// resuming, and keeping the study index up to date.
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>
#include <vector>

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

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> keys_;  ///< key -> canonical values
};

/// Checks every point before anything runs: workload parameters and launchability on `host`.
/// Throws ConfigError naming the point.
void check_points(const study::Study& study, const LaunchHost& host);

/// Prints the plan: the number of points, the fixed parameters, and for each selected point its
/// id, varied parameters, rank count, status on disk and exact launch line. With `full`, also
/// every resolved parameter. Runs nothing.
void print_plan(const study::Study& study, const LaunchHost& host, const PointFilter& filter,
                bool full, std::ostream& out);

struct RunOptions {
  bool force = false;  ///< re-run points that already have results
  PointFilter filter{{}};
};

struct RunSummary {
  int selected = 0;
  int skipped = 0;  ///< already had a complete results file
  int completed = 0;
  int failed = 0;  ///< failed or timed out
  bool interrupted = false;
};

/// Runs every selected point that has no complete results file (all with `force`), writing
/// each point's files under results/<study>/points/<id>/ and rewriting
/// results/<study>/index.h5 after each point. A failing point is recorded and the sweep goes
/// on; `interrupt` (set by SIGINT) kills the running point, records it and stops.
RunSummary run_study(const study::Study& study, const LaunchHost& host, const RunOptions& options,
                     const std::atomic<bool>& interrupt, std::ostream& out);

}  // namespace scalestudy::launch
