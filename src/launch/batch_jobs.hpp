// `scalestudy jobs` and `scalestudy submit`: a study's points as batch job scripts, written,
// and submitted with their job ids recorded in the study index.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "launch/job_script.hpp"
#include "launch/study_runner.hpp"

namespace scalestudy::launch {

struct JobsPlan {
  Packing packing;
  std::vector<JobScript> scripts;
  int completed = 0;  ///< selected points left out: they have complete results
  int in_flight = 0;  ///< selected points left out: a queued or running job will run them
};

/// Packs the points `filter` selects that have no complete results (every one with `all`) and
/// renders one script per allocation. Nothing is written.
JobsPlan plan_jobs(const study::Study& study, const Scheduler& scheduler,
                   const JobsRequest& request, const PointFilter& filter, bool all);

/// `scalestudy jobs`: plan_jobs, then writes the scripts and prints their paths and sizes.
JobsPlan write_jobs(const study::Study& study, const Scheduler& scheduler,
                    const JobsRequest& request, const PointFilter& filter, bool all,
                    std::ostream& out);

/// `scalestudy submit`: writes the scripts for the points that are neither complete nor in a
/// queued or running job of this scheduler, submits each, and records its job id for its
/// points in the index. Throws SubmitError (after recording what was submitted) when the
/// scheduler refuses a script.
JobsPlan submit_jobs(const study::Study& study, const Scheduler& scheduler,
                     const JobsRequest& request, const PointFilter& filter, std::ostream& out);

}  // namespace scalestudy::launch
