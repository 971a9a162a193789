// What only the redis backend has: real redis-server processes that can die mid-run, network
// addresses that can be wrong, unix sockets when colocated, and processes that must not outlive
// their session.
#include <gtest/gtest.h>
#include <mpi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mpi/store_session.hpp"
#include "store/redis/redis_connection.hpp"
#include "store/redis/redis_store.hpp"

namespace scalestudy::testing {
namespace {

using store::DType;
using store::redis::RedisConnection;
using store::redis::RedisConnectionError;
using store::redis::RedisStore;

/// pid of every world rank.
std::vector<pid_t> world_pids() {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  std::vector<int> pids(static_cast<std::size_t>(world));
  const int mine = static_cast<int>(::getpid());
  MPI_Allgather(&mine, 1, MPI_INT, pids.data(), 1, MPI_INT, MPI_COMM_WORLD);
  return {pids.begin(), pids.end()};
}

/// The redis-server processes whose parent is `parent` (from /proc/<pid>/stat).
std::vector<pid_t> redis_children(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "<pid> (<comm>) <state> <ppid> ...": comm may hold spaces, so split at the last ')'.
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (comm == "redis-server" && ppid == parent) found.push_back(std::stoi(name));
  }
  return found;
}

/// Whether `pid` has exited (gone, or a zombie).
bool exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close == std::string::npos || line.substr(close + 2, 1) == "Z";
}

RedisStore& redis_store(ClientEnv& env) {
  auto* store = dynamic_cast<RedisStore*>(&env.store);
  if (store == nullptr) throw std::runtime_error("the session's store is not a RedisStore");
  return *store;
}

TEST(RedisStoreFailures, ServerKilledMidRunRaisesNamingAddressAndCommand) {
  const std::vector<pid_t> pids = world_pids();
  const auto result = run_session(standard_with_shards(1, "redis"), [&](ClientEnv& env) {
    const std::string address = redis_store(env).endpoint(0).text();
    const std::string key = "doomed_" + std::to_string(env.client);
    const float value[4] = {1, 2, 3, 4};
    const std::uint64_t dims[] = {4};
    env.store.put_tensor(key, value, dims, DType::Float32);
    MPI_Barrier(env.clients);
    if (env.client == 0) {
      const auto servers =
          redis_children(pids[static_cast<std::size_t>(env.layout.shard_ranks[0])]);
      ASSERT_EQ(servers.size(), 1U) << "the database rank should own exactly one redis-server";
      ASSERT_EQ(::kill(servers[0], SIGKILL), 0);
      // Its sockets close when it exits (it stays a zombie until its database rank reaps it).
      for (int i = 0; i < 2000 && !exited(servers[0]); ++i) ::usleep(1000);
    }
    MPI_Barrier(env.clients);
    const std::string put =
        error_of([&] { env.store.put_tensor(key, value, dims, DType::Float32); });
    EXPECT_NE(put.find("put_tensor '" + key + "' on shard 0 (redis " + address + ", SET)"),
              std::string::npos)
        << put;
    EXPECT_NE(put.find("connection lost"), std::string::npos) << put;
    float out[4];
    const std::string unpack =
        error_of([&] { env.store.unpack_tensor(key, out, dims, DType::Float32); });
    EXPECT_NE(unpack.find("(redis " + address + ", GET)"), std::string::npos) << unpack;
    EXPECT_NE(unpack.find("connection lost"), std::string::npos) << unpack;
  });
  // Each client's two failures reach the database rank's counters with its goodbye.
  ASSERT_EQ(result.shards.size(), 1U);
  EXPECT_GE(result.shards[0].errors, static_cast<std::uint64_t>(2 * result.layout.client_count()));
}

TEST(RedisStoreFailures, WrongAddressIsRefusedWithAClearError) {
  // A port that is bound but not listening refuses connections, deterministically.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  std::string message;
  try {
    RedisConnection connection({"127.0.0.1", port, ""}, 2000, 2000);
  } catch (const RedisConnectionError& error) {
    message = error.what();
  }
  ::close(fd);
  EXPECT_NE(message.find("cannot connect to redis 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("refused"), std::string::npos) << message;

  message.clear();
  try {
    RedisConnection connection({"localhost", 0, "/nonexistent/scalestudy/redis.sock"}, 2000, 2000);
  } catch (const RedisConnectionError& error) {
    message = error.what();
  }
  EXPECT_NE(message.find("cannot connect to redis unix:/nonexistent/scalestudy/redis.sock"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(RedisStoreFailures, RedisErrorRepliesNameAddressAndCommand) {
  SessionOptions options = standard_with_shards(1, "redis");
  options.max_memory = 8 << 20;  // redis' maxmemory: writes are refused once it is exceeded
  run_session(options, [](ClientEnv& env) {
    if (env.client != 0) return;
    const std::string address = redis_store(env).endpoint(0).text();
    std::vector<std::byte> big(1 << 20);
    const std::uint64_t dims[] = {big.size()};
    std::string message;
    std::string refused;
    for (int k = 0; k < 32 && message.empty(); ++k) {
      refused = "{oom}" + std::to_string(k);
      try {
        env.store.put_tensor(refused, big.data(), dims, DType::UInt8);
      } catch (const StoreError& error) {
        message = error.what();
      }
    }
    EXPECT_NE(message.find("put_tensor '" + refused + "' on shard 0 (redis " + address +
                           ", SET): out of memory"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("OOM"), std::string::npos) << message;
    // The server and the connection still answer.
    EXPECT_FALSE(env.store.tensor_exists(refused));
    EXPECT_EQ(env.store.info()[0].max_memory_bytes, 8U << 20);
  });
}

TEST(RedisStoreSockets, ColocatedUsesAUnixSocketStandardUsesTcp) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  SessionOptions colocated;
  colocated.backend = "redis";
  colocated.deployment = core::Deployment::Colocated;
  colocated.ranks_per_node = world % 2 == 0 ? 1 : world - 1;
  run_session(colocated, [](ClientEnv& env) {
    const auto& endpoint = redis_store(env).endpoint(0);
    EXPECT_TRUE(endpoint.is_unix()) << endpoint.text();
    struct stat info {};
    ASSERT_EQ(::stat(endpoint.unix_path.c_str(), &info), 0) << endpoint.unix_path;
    EXPECT_TRUE(S_ISSOCK(info.st_mode));
    const double value = 2.5;
    const std::uint64_t dims[] = {1};
    env.store.put_tensor("unix_" + std::to_string(env.client), &value, dims, DType::Float64);
    EXPECT_TRUE(env.store.tensor_exists("unix_" + std::to_string(env.client)));
  });
  run_session(standard_with_shards(1, "redis"), [](ClientEnv& env) {
    const auto& endpoint = redis_store(env).endpoint(0);
    EXPECT_FALSE(endpoint.is_unix()) << endpoint.text();
    EXPECT_EQ(endpoint.host, "127.0.0.1");
    EXPECT_GT(endpoint.port, 0);
    EXPECT_NE(endpoint.port, 6379) << "never the system service's port by default";
  });
}

TEST(RedisStoreProcesses, NoServerOutlivesItsSession) {
  int world = 0;
  int rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::vector<pid_t> pids = world_pids();
  SessionOptions options = standard_with_shards(2, "redis");
  options.parameters = {{"redis_socket", "unix"}};  // a socket file in the server's directory
  int seen = 0;
  std::string directory;
  run_session(options, [&](ClientEnv& env) {
    directory = std::filesystem::path(redis_store(env).endpoint(0).unix_path).parent_path();
    EXPECT_TRUE(std::filesystem::exists(directory));
    for (const int shard_rank : env.layout.shard_ranks) {
      seen += static_cast<int>(redis_children(pids[static_cast<std::size_t>(shard_rank)]).size());
    }
    EXPECT_EQ(seen, env.layout.shard_count()) << "one redis-server per database rank";
  });
  // After the session every database rank has stopped and reaped its server (a zombie would
  // still be listed as its child) and removed its directory.
  MPI_Barrier(MPI_COMM_WORLD);
  for (int r = 0; r < world; ++r) {
    EXPECT_TRUE(redis_children(pids[static_cast<std::size_t>(r)]).empty())
        << "rank " << r << " still has a redis-server child";
  }
  if (!directory.empty()) {
    EXPECT_FALSE(std::filesystem::exists(directory)) << directory;
  }
}

}  // namespace
}  // namespace scalestudy::testing
