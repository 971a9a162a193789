// A redis-server child process owned by a database rank: started with persistence off, ready
// when it answers PING, stopped with SHUTDOWN NOSAVE, and killed if its owner dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "store/redis/redis_connection.hpp"

namespace scalestudy::store::redis {

struct RedisServerOptions {
  int port = 0;              ///< TCP port; 0 picks a free one
  bool unix_socket = false;  ///< listen on a unix socket only (no TCP)
  int io_threads = 1;
  int max_clients = 10000;
  std::uint64_t max_memory = 0;  ///< maxmemory with noeviction (0: no limit)
  std::string name = "redis";    ///< who owns it, for messages ("shard 0")
  int start_timeout_ms = 30000;
};

class RedisProcess {
 public:
  /// Starts redis-server (found on PATH, else /usr/bin/redis-server) in a fresh temporary
  /// directory and waits until it answers PING. Throws StoreError saying why it did not start,
  /// with the tail of its log. The child gets SIGKILL if this process dies.
  explicit RedisProcess(RedisServerOptions options);
  /// Kills the server if it still runs and removes its directory; never throws.
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  /// Where clients on this host reach it (127.0.0.1:port or the unix socket).
  const RedisEndpoint& endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }

  /// The text of its INFO (see request_info). Throws StoreError if the server is gone.
  std::string info();

  /// SHUTDOWN NOSAVE, waits for the exit (SIGKILL after a few seconds) and removes the
  /// directory. Returns "" after a clean stop, else what happened (it had died before, ...).
  /// Never throws; idempotent.
  std::string stop();

 private:
  /// One attempt on `port`; false (child reaped) if that port was taken.
  bool launch(const std::string& program, int port);
  /// The last lines of the server's log.
  std::string log_tail() const;
  /// Reaps the child if it has exited; returns its status text, or "" while it runs.
  std::string poll_exit();
  void kill_and_reap();

  RedisServerOptions options_;
  std::string dir_;
  pid_t pid_ = -1;
  RedisEndpoint endpoint_;
  std::unique_ptr<RedisConnection> admin_;
};

}  // namespace scalestudy::store::redis
