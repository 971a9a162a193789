// fork/exec with process groups, timeouts and logs.
#include "launch/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include "core/error.hpp"

namespace scalestudy::launch {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Reaps `pid` if it has ended; fills `result` and returns true then.
bool reap(pid_t pid, ProcessResult& result) {
  int status = 0;
  const pid_t done = waitpid(pid, &status, WNOHANG);
  if (done != pid) return false;
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return true;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const Environment& env,
                          const std::string& log_file, double timeout_s,
                          const std::atomic<bool>& interrupt, double grace_s) {
  const int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) throw Error("cannot write " + log_file + ": " + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);

  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    throw Error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: its own process group, so that a timeout can kill mpirun and every rank; and it
    // goes when scalestudy goes, even if scalestudy is killed without a chance to clean up.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) _exit(127);  // the parent died before prctl took effect
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    execvp(args[0], args.data());
    const std::string message = "cannot start " + argv[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] const auto written = write(STDERR_FILENO, message.data(), message.size());
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so no signal can race the child's own setpgid
  close(log);

  ProcessResult result;
  bool terminating = false;
  Clock::time_point terminate_time;
  while (!reap(pid, result)) {
    const double elapsed = since(start);
    if (!terminating && (elapsed > timeout_s || interrupt.load())) {
      result.timed_out = elapsed > timeout_s;
      result.interrupted = !result.timed_out;
      kill(-pid, SIGTERM);
      terminating = true;
      terminate_time = Clock::now();
    } else if (terminating && since(terminate_time) > grace_s) {
      kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(terminating ? 50 : 20));
  }
  // Ranks that outlived mpirun (they should not) go with their group.
  kill(-pid, SIGKILL);
  result.seconds = since(start);
  return result;
}

std::string tail_of(const std::string& file, int lines) {
  std::ifstream in(file);
  if (!in) return "";
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += line + '\n';
  return out;
}

}  // namespace scalestudy::launch
