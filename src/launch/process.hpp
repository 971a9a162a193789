// Runs one launch as its own process group, with a wall-time limit and a log file.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "launch/launch_line.hpp"

namespace scalestudy::launch {

struct ProcessResult {
  int exit_status = -1;  ///< exit status, or -1 when killed by a signal
  int signal = 0;        ///< the signal that ended it, if any
  bool timed_out = false;
  bool interrupted = false;
  double seconds = 0;
};

/// Starts `argv` (with `env` added) in a new process group, stdout and stderr to `log_file`,
/// stdin from /dev/null, and waits. Past `timeout_s`, or when `interrupt` becomes true, the
/// whole group gets SIGTERM, then SIGKILL after `grace_s`. Throws Error if it cannot start.
ProcessResult run_process(const std::vector<std::string>& argv, const Environment& env,
                          const std::string& log_file, double timeout_s,
                          const std::atomic<bool>& interrupt, double grace_s = 5);

struct CommandResult {
  int exit_status = -1;  ///< -1 when it could not start or was killed
  std::string out;       ///< what it wrote to stdout
  std::string err;       ///< what it wrote to stderr
};

/// Runs `argv` (a short command: sbatch, squeue, qsub...), waits for it and returns what it
/// printed. Killed past `timeout_s`. Throws Error if it cannot start.
CommandResult run_command(const std::vector<std::string>& argv, double timeout_s = 60);

/// The full path of `program` on PATH (or `program` itself when it names a file), "" when
/// there is none.
std::string find_program(const std::string& program);

/// The last `lines` lines of `file` ("" if it cannot be read).
std::string tail_of(const std::string& file, int lines);

}  // namespace scalestudy::launch
