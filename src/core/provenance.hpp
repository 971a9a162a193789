// Facts about the run collected automatically for every result: time, job id, command line.
#pragma once

#include <string>

namespace scalestudy::core {

/// Current UTC time as ISO 8601 with microseconds, e.g. "2026-11-22T09:30:00.123456Z".
std::string utc_timestamp();

/// The batch job id from the environment (Slurm, PBS, LSF, Flux), or "" outside a job.
std::string batch_job_id();

/// argv joined with spaces, arguments with spaces or quotes quoted for a POSIX shell.
std::string command_line(int argc, const char* const* argv);

}  // namespace scalestudy::core
