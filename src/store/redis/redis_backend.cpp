// Database ranks that own a redis-server each and publish its address over MPI; clients that
// receive the addresses of their shards and connect to them.
#include "store/redis/redis_backend.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "core/mpi_runtime.hpp"
#include "store/control/control_server.hpp"
#include "store/control/server_address.hpp"
#include "store/redis/redis_info.hpp"
#include "store/redis/redis_process.hpp"
#include "store/redis/redis_store.hpp"

namespace scalestudy::store::redis {
namespace {

constexpr int kConnectTimeoutMs = 10000;
/// No single read or write of a command may wait longer (a stopped server fails, not hangs).
constexpr int kIoTimeoutMs = 120000;

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& parameters() {
  static const std::vector<ParamSpec> specs = {
      {"redis_port", ParamType::Integer, "0", "Database",
       "redis backend: TCP port of shard 0's redis-server, shard s listens on redis_port + s "
       "(0: each picks a free port)", {}, 0, 65535},
      {"redis_socket", ParamType::Choice, "auto", "Database",
       "redis backend: how clients reach redis-server: unix (a unix socket, same node only), "
       "tcp, or auto (unix when colocated, else tcp)",
       {"auto", "tcp", "unix"}},
      {"redis_io_threads", ParamType::Integer, "1", "Database",
       "redis backend: redis-server's io-threads (above 1 also io-threads-do-reads)", {}, 1, 128},
      {"redis_maxclients", ParamType::Integer, "10000", "Database",
       "redis backend: redis-server's maxclients", {}, 1, 1000000},
  };
  return specs;
}
// clang-format on

bool use_unix_socket(const BackendContext& context) {
  const std::string& mode = context.params.text("redis_socket");
  if (mode == "auto") return context.layout.deployment == core::Deployment::Colocated;
  return mode == "unix";
}

/// The message a database rank sends each of its clients: "ok <host> <port> <unix path>" on
/// lines, or "error" and why the server did not start.
std::string address_message(const RedisEndpoint& endpoint) {
  return "ok\n" + endpoint.host + "\n" + std::to_string(endpoint.port) + "\n" + endpoint.unix_path;
}

/// The endpoint a database rank published ("<host>\n<port>\n<unix path>"), as a client on
/// `my_host` reaches it; nullopt with `error` set when it cannot be reached from here.
std::optional<RedisEndpoint> parse_address(const std::string& detail, const std::string& my_host,
                                           int shard, std::string& error) {
  std::istringstream in(detail);
  RedisEndpoint endpoint;
  std::string port;
  std::getline(in, endpoint.host);
  std::getline(in, port);
  std::getline(in, endpoint.unix_path);
  endpoint.port = std::stoi(port);
  if (endpoint.is_unix() && endpoint.host != my_host) {
    error = "shard " + std::to_string(shard) + "'s redis-server listens on a unix socket on " +
            endpoint.host + " but this client runs on " + my_host + "; use redis_socket: tcp";
    return std::nullopt;
  }
  if (!endpoint.is_unix() && endpoint.host == my_host) endpoint.host = "127.0.0.1";
  return endpoint;
}

class RedisDatabaseRank final : public DatabaseRank {
 public:
  explicit RedisDatabaseRank(const BackendContext& context)
      : world_rank_(context.world_rank),
        shard_(context.layout.ranks[static_cast<std::size_t>(context.world_rank)].index),
        server_(context.comm, control::control_options(context, /*data_elsewhere=*/true)) {
    std::string message;
    try {
      RedisServerOptions options;
      const std::int64_t port = context.params.integer("redis_port");
      options.port = port == 0 ? 0 : static_cast<int>(port) + shard_;
      if (options.port > 65535) {
        throw StoreError("redis_port=" + std::to_string(port) + " puts shard " +
                         std::to_string(shard_) + " on port " + std::to_string(options.port) +
                         ", above 65535; lower redis_port or use 0 for free ports");
      }
      options.unix_socket = use_unix_socket(context);
      options.io_threads = static_cast<int>(context.params.integer("redis_io_threads"));
      options.max_clients = static_cast<int>(context.params.integer("redis_maxclients"));
      options.max_memory = max_memory_bytes(context.params);
      options.name =
          "shard " + std::to_string(shard_) + " (rank " + std::to_string(world_rank_) + ")";
      process_.emplace(options);
      RedisEndpoint published = process_->endpoint();
      published.host = core::hostname();
      message = address_message(published);
    } catch (const Error& error) {
      publish(context, "error\n" + std::string(error.what()));  // clients fail instead of waiting
      throw;
    }
    publish(context, message);
  }

  void serve() override {
    server_.serve();  // hello, goodbye and the raw MPI baseline; data goes to redis-server
    try {
      add_info(process_->info(), redis_);
    } catch (const Error& error) {
      warn(std::string("no final INFO: ") + error.what());
    }
    if (const std::string note = process_->stop(); !note.empty()) warn(note);
  }

  ShardCounters counters() const override {
    ShardCounters c = server_.counters();
    c.keys = redis_.keys;
    c.memory_bytes = redis_.memory_bytes;
    c.peak_memory_bytes = redis_.peak_memory_bytes;
    c.max_memory_bytes = redis_.max_memory_bytes;
    c.requests += redis_.requests;
    c.errors += redis_.errors;
    c.bytes_in += redis_.bytes_in;
    c.bytes_out += redis_.bytes_out;
    for (std::size_t op = 0; op < kOpCount; ++op) c.requests_by_op[op] += redis_.requests_by_op[op];
    return c;
  }

 private:
  /// Sends `message` to every client that uses this shard.
  void publish(const BackendContext& context, const std::string& message) {
    control::publish_to_users(context, shard_, message);
  }

  void warn(const std::string& what) const {
    std::fprintf(stderr, "[rank %d] redis backend, shard %d: %s\n", world_rank_, shard_,
                 what.c_str());
  }

  int world_rank_;
  int shard_;
  control::ControlServer server_;
  std::optional<RedisProcess> process_;
  ShardCounters redis_;
};

std::unique_ptr<Store> connect(const BackendContext& context) {
  const std::string my_host = core::hostname();
  std::vector<RedisEndpoint> endpoints;
  const auto published =
      control::receive_from_shards(context, "redis", [&](const control::Published& shard) {
        std::string error;
        if (auto endpoint = parse_address(shard.detail, my_host, shard.shard.shard, error)) {
          endpoints.push_back(std::move(*endpoint));
        }
        return error;
      });
  std::vector<control::ShardAddress> ranks;
  for (const auto& shard : published) ranks.push_back(shard.shard);
  return std::make_unique<RedisStore>(context.comm, std::move(ranks), std::move(endpoints),
                                      kConnectTimeoutMs, kIoTimeoutMs, context.client_threads);
}

std::unique_ptr<DatabaseRank> start(const BackendContext& context) {
  return std::make_unique<RedisDatabaseRank>(context);
}

}  // namespace

Backend backend() {
  return Backend{
      .name = "redis",
      .summary =
          "one redis-server per database rank, started and stopped by it; clients use "
          "hiredis",
      .serves = {.tensors = true, .datasets = true},
      .limits = "its data goes to redis-server, which runs here without RedisAI",
      .parameters = &parameters,
      .connect = &connect,
      .start = &start,
  };
}

}  // namespace scalestudy::store::redis
