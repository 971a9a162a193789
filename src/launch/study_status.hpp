// `scalestudy status RESULTS_DIR`: every point as pending, queued, running, completed, failed
// or skipped, from the study index and what the scheduler says of its jobs.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "launch/scheduler.hpp"
#include "results/study_index.hpp"

namespace scalestudy::launch {

/// One point as status shows it.
struct PointView {
  std::string id;
  std::string varied;
  std::string state;  ///< pending | queued | running | completed | failed | skipped
  std::string job_id;
  std::string detail;  ///< duration, reason, the job's state or why it waits
};

/// The state of `status` given what its scheduler says of its job (`job` is nullptr when the
/// scheduler does not know the job, or was not asked: `scheduler_note` says why).
PointView view_point(const results::PointStatus& status, const JobState* job,
                     const std::string& scheduler_note);

/// Prints the status of the study in `results_dir` (its index.h5) as a table, or as JSON with
/// `format` "json". Asks each scheduler named in the index about the jobs of the points that
/// are not completed. Throws ResultsError when there is no readable index.
void print_status(const std::string& results_dir, const std::string& format, std::ostream& out);

}  // namespace scalestudy::launch
