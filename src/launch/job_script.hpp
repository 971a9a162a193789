// Batch job scripts: one per allocation of a packing, from a template of jobs/ (or the
// study's launcher.template), each running `scalestudy run STUDY --only id=...`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "launch/job_packing.hpp"
#include "launch/scheduler.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {

/// What `scalestudy jobs` and `submit` were asked for.
struct JobsRequest {
  std::string output_dir;          ///< where the scripts go (default jobs/<study>)
  SiteOptions site;                ///< account, partition, QOS
  PackingOptions packing;          ///< largest allocation, longest wall time, riding
  std::string scalestudy_program;  ///< the scalestudy the jobs run (this one, absolute)
  std::string workdir;             ///< the folder the jobs start in (results_dir is relative)
  int cpus_per_node = 0;           ///< CPUs of a node; 0: unknown
};

struct JobScript {
  std::string path;  ///< <output_dir>/<NN>-<nodes>nodes.sh
  std::string log;   ///< the job's own log (stdout and stderr of the script)
  std::string text;
  JobAllocation allocation;
};

/// The placeholders a template may use, each with what it becomes (jobs/README.md lists them).
const std::vector<std::pair<std::string_view, std::string_view>>& template_placeholders();

/// Replaces every {{name}} of `text` with values[name]. Throws ConfigError naming the template
/// (`origin`) and line for an unknown placeholder, or when {{run}} is missing.
std::string render_template(std::string_view text, const std::string& origin,
                            const std::map<std::string, std::string>& values);

/// One script per allocation of `packing`, rendered; nothing is written.
std::vector<JobScript> render_job_scripts(const study::Study& study, const Packing& packing,
                                          const Scheduler& scheduler, const JobsRequest& request);

/// Writes `scripts` (executable) into their folder, after removing the scripts an earlier
/// `scalestudy jobs` wrote there, and creates the folder of their logs.
void write_job_scripts(const std::vector<JobScript>& scripts, const std::string& output_dir);

}  // namespace scalestudy::launch
