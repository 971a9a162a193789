// Starting, watching and stopping one redis-server child process.
#include "store/redis/redis_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "store/redis/redis_info.hpp"

namespace scalestudy::store::redis {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Attempts at a free port: another process may take the one picked before redis binds it.
constexpr int kPortAttempts = 5;
constexpr int kStopTimeoutMs = 5000;
constexpr int kAdminTimeoutMs = 10000;

std::string find_program() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      const std::string candidate = dir + "/redis-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  if (::access("/usr/bin/redis-server", X_OK) == 0) return "/usr/bin/redis-server";
  throw StoreError(
      "redis-server is not on PATH nor at /usr/bin/redis-server: install Debian's redis-server "
      "package (scripts/setup does) or use backend: mpi");
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw StoreError("redis backend: socket(): " + std::string(std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok)
    throw StoreError("redis backend: cannot find a free port: " +
                     std::string(std::strerror(error)));
  return ntohs(address.sin_port);
}

/// This host's own IPv4 address when its name resolves to one that can be bound and is not
/// loopback (so that clients on other nodes reach the server), else "".
std::string host_address() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &found) != 0 || found == nullptr) return "";
  sockaddr_in address = *reinterpret_cast<sockaddr_in*>(found->ai_addr);
  ::freeaddrinfo(found);
  if ((ntohl(address.sin_addr.s_addr) >> 24) == 127) return "";
  address.sin_port = 0;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool bindable =
      fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  if (fd >= 0) ::close(fd);
  if (!bindable) return "";
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text));
  return text;
}

std::string make_directory() {
  std::string base = "/tmp";
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && tmp[0] == '/') base = tmp;
  std::string pattern = base + "/scalestudy-redis-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw StoreError("redis backend: cannot create a directory under " + base + ": " +
                     std::strerror(errno));
  }
  return pattern;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

}  // namespace

RedisProcess::RedisProcess(RedisServerOptions options) : options_(std::move(options)) {
  const std::string program = find_program();
  dir_ = make_directory();
  try {
    if (options_.unix_socket) {
      endpoint_.unix_path = dir_ + "/redis.sock";
      if (endpoint_.unix_path.size() >= sizeof(sockaddr_un::sun_path)) {
        throw StoreError(options_.name + ": unix socket path " + endpoint_.unix_path +
                         " is too long; set TMPDIR to a shorter directory or redis_socket: tcp");
      }
    }
    const bool auto_port = options_.port == 0;
    for (int attempt = 0;; ++attempt) {
      const int port = options_.unix_socket ? 0 : auto_port ? free_port() : options_.port;
      if (launch(program, port)) return;
      if (!auto_port || attempt + 1 >= kPortAttempts) {
        throw StoreError(options_.name + ": redis-server could not listen on port " +
                         std::to_string(port) + " (in use); choose another redis_port, or 0 " +
                         "for a free one. Its log ends:\n" + log_tail());
      }
    }
  } catch (...) {
    kill_and_reap();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

RedisProcess::~RedisProcess() {
  kill_and_reap();
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

bool RedisProcess::launch(const std::string& program, int port) {
  std::vector<std::string> args = {program,
                                   "--port",
                                   std::to_string(port),
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--protected-mode",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   "",
                                   "--maxclients",
                                   std::to_string(options_.max_clients),
                                   "--io-threads",
                                   std::to_string(options_.io_threads)};
  if (options_.io_threads > 1) args.insert(args.end(), {"--io-threads-do-reads", "yes"});
  if (options_.unix_socket) {
    args.insert(args.end(), {"--unixsocket", endpoint_.unix_path, "--unixsocketperm", "700"});
  } else {
    // Loopback for this node's clients, the host's address for other nodes' clients.
    args.insert(args.end(), {"--bind", "127.0.0.1"});
    if (const std::string address = host_address(); !address.empty()) args.push_back(address);
    endpoint_.host = "127.0.0.1";
    endpoint_.port = port;
  }
  if (options_.max_memory > 0) {
    args.insert(args.end(), {"--maxmemory", std::to_string(options_.max_memory),
                             "--maxmemory-policy", "noeviction"});
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // Everything the child needs is prepared here: after fork it may only call
  // async-signal-safe functions (this process may run MPI's threads).
  const std::string log_path = dir_ + "/redis.log";
  const int log_fd =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw StoreError(options_.name + ": cannot open " + log_path + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
  const pid_t child = ::fork();
  if (child == 0) {
    // Dies with its owner, however the owner ends (MPI_Abort, a signal, a crash).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // MPI's sockets and shared-memory files must not stay open in the server.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (child < 0) {
    throw StoreError(options_.name + ": cannot fork redis-server: " + std::strerror(fork_error));
  }
  pid_ = child;

  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  for (;;) {
    const std::string exit = poll_exit();
    if (!exit.empty()) {
      const std::string tail = log_tail();
      if (tail.find("Address already in use") != std::string::npos) return false;
      throw StoreError(options_.name + ": redis-server (" + program + ") exited (" + exit +
                       ")"
                       " before answering PING. Its log ends:\n" +
                       tail);
    }
    try {
      admin_ = std::make_unique<RedisConnection>(endpoint_, 1000, kAdminTimeoutMs);
      const RedisReply pong = admin_->command({"PING"});
      if (pong.kind == RedisReply::Kind::Status && pong.text == "PONG") return true;
    } catch (const RedisConnectionError&) {
      // Not listening yet.
    }
    admin_.reset();
    if (Clock::now() > deadline) {
      kill_and_reap();
      throw StoreError(options_.name + ": redis-server did not answer PING on " + endpoint_.text() +
                       " within " + std::to_string(options_.start_timeout_ms / 1000) +
                       " s. Its log ends:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string RedisProcess::info() {
  if (!admin_) throw StoreError(options_.name + ": redis-server is not running");
  const RedisReply reply = request_info(*admin_);
  if (reply.kind != RedisReply::Kind::String) {
    throw StoreError(options_.name + ": INFO on redis " + endpoint_.text() + " answered '" +
                     reply.text + "'");
  }
  return reply.text;
}

std::string RedisProcess::poll_exit() {
  if (pid_ < 0) return "no process";
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == 0) return "";
  pid_ = -1;
  return done < 0 ? "an unknown status (" + std::string(std::strerror(errno)) + ")"
                  : describe_status(status);
}

void RedisProcess::kill_and_reap() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string RedisProcess::stop() {
  if (dir_.empty()) return "";
  std::string note;
  if (const std::string exit = poll_exit(); !exit.empty()) {
    note = "redis-server had exited before the end (" + exit + "); its log ends:\n" + log_tail();
  } else {
    try {
      admin_->send({"SHUTDOWN", "NOSAVE"});
      admin_->read_reply();  // the server closes the connection as it exits
    } catch (const StoreError&) {
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(kStopTimeoutMs);
    while (poll_exit().empty()) {
      if (Clock::now() > deadline) {
        kill_and_reap();
        note = "redis-server did not exit within " + std::to_string(kStopTimeoutMs / 1000) +
               " s of SHUTDOWN NOSAVE and was killed";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  admin_.reset();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
  dir_.clear();
  return note;
}

std::string RedisProcess::log_tail() const {
  constexpr std::size_t kLines = 15;
  std::ifstream log(dir_ + "/redis.log");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(log, line)) {
    lines.push_back(line);
    if (lines.size() > kLines) lines.erase(lines.begin());
  }
  std::string tail;
  for (const auto& l : lines) tail += "  " + l + "\n";
  return tail.empty() ? "  (empty)\n" : tail;
}

}  // namespace scalestudy::store::redis
