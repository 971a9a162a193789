// The job script templates of jobs/ (slurm.sh, pbs.sh, torque.sh), compiled in.
#pragma once

#include <string_view>

namespace scalestudy::launch {

/// The template jobs/<name>.sh as it was at build time; empty when there is none.
std::string_view builtin_job_template(std::string_view name);

}  // namespace scalestudy::launch
