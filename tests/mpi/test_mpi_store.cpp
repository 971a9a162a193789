// Every store backend across ranks, from the same test bodies: byte-exact round trips,
// sharding, errors that leave the database serving, colocated isolation; and what only the mpi
// backend has (its memory cap accounting, malformed frames).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "mpi/store_session.hpp"
#include "store/control/transport.hpp"
#include "store/protocol.hpp"
#include "store/sharding.hpp"

namespace scalestudy::testing {
namespace {

using store::DType;

/// Bytes that differ per (seed, position), so a misplaced or stale byte is caught.
std::vector<std::byte> pattern(std::size_t bytes, std::uint64_t seed) {
  std::vector<std::byte> data(bytes);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = static_cast<std::byte>(x & 0xFF);
  }
  return data;
}

/// Parameter: backend name.
class BackendTest : public ::testing::TestWithParam<std::string> {};
using StoreSharding = BackendTest;
using StoreErrors = BackendTest;
using StoreColocated = BackendTest;
using StorePoll = BackendTest;

/// Parameters: backend name, mpi inline threshold.
class StoreRoundTrip : public ::testing::TestWithParam<std::tuple<std::string, std::uint64_t>> {};

TEST_P(StoreRoundTrip, RoundTripsEveryDtypeAndSizeByteForByte) {
  SessionOptions options = standard_with_shards(2, std::get<0>(GetParam()));
  options.inline_bytes = std::get<1>(GetParam());
  run_session(options, [](ClientEnv& env) {
    const std::vector<std::uint64_t> size_classes = {0, 1, 1024, 1 << 20, 64 << 20};
    for (const DType dtype : store::kAllDTypes) {
      const std::size_t element = store::dtype_size(dtype);
      for (const std::uint64_t target : size_classes) {
        // 1 B exists only for 1-byte types; others get their smallest non-empty tensor.
        const std::uint64_t count = target == 0 ? 0 : std::max<std::uint64_t>(1, target / element);
        const std::uint64_t bytes = count * element;
        const std::string key = "rt_" + std::string(store::dtype_name(dtype)) + "_" +
                                std::to_string(target) + "_c" + std::to_string(env.client);
        const auto data = pattern(bytes, bytes * 31 + static_cast<std::uint64_t>(dtype) +
                                             static_cast<std::uint64_t>(env.client) * 1000);
        const std::uint64_t put_dims[] = {1, count};
        env.store.put_tensor(key, data.data(), put_dims, dtype);

        std::vector<std::byte> out(bytes, std::byte{0xAB});
        const std::uint64_t flat_dims[] = {count};
        env.store.unpack_tensor(key, out.data(), flat_dims, dtype);
        ASSERT_TRUE(bytes == 0 || std::memcmp(out.data(), data.data(), bytes) == 0)
            << key << ": unpacked bytes differ";

        const store::Tensor copy = env.store.get_tensor(key);
        EXPECT_EQ(copy.dtype, dtype) << key;
        EXPECT_EQ(copy.dims, (std::vector<std::uint64_t>{1, count})) << key;
        ASSERT_EQ(copy.data.size(), bytes) << key;
        ASSERT_TRUE(bytes == 0 || std::memcmp(copy.data.data(), data.data(), bytes) == 0)
            << key << ": get_tensor bytes differ";
        EXPECT_TRUE(env.store.tensor_exists(key));
        env.store.delete_tensor(key);
        EXPECT_FALSE(env.store.tensor_exists(key));
      }
    }
  });
}

// Inline threshold 0 sends every payload as its own message; 64 KiB inlines up to 64 KiB.
INSTANTIATE_TEST_SUITE_P(MpiInlineThresholds, StoreRoundTrip,
                         ::testing::Combine(::testing::Values("mpi"),
                                            ::testing::Values(0, 16384, 65536)));
// Other backends have no inline threshold.
std::vector<std::string> other_backends() {
  auto names = built_backends();
  names.erase(std::remove(names.begin(), names.end(), "mpi"), names.end());
  return names;
}
INSTANTIATE_TEST_SUITE_P(OtherBackends, StoreRoundTrip,
                         ::testing::Combine(::testing::ValuesIn(other_backends()),
                                            ::testing::Values(16384)));

TEST_P(StoreSharding, KeysSpreadOverAllShardsAndHashTagsStayTogether) {
  constexpr int kKeys = 64;
  const auto result = run_session(standard_with_shards(3, GetParam()), [](ClientEnv& env) {
    const std::uint64_t dims[] = {4};
    const float value[4] = {1, 2, 3, 4};
    for (int k = 0; k < kKeys; ++k) {
      env.store.put_tensor("spread_" + std::to_string(env.client) + "_" + std::to_string(k), value,
                           dims, DType::Float32);
    }
    // The client's view of where keys go agrees with the slot map.
    const int shards = env.layout.shard_count();
    EXPECT_EQ(env.store.shard_of("foo"), store::shard_of_slot(12182, shards));
    EXPECT_EQ(env.store.shard_of("{user1000}.following"), env.store.shard_of("{user1000}.x"));
    const auto info = env.store.info();
    ASSERT_EQ(static_cast<int>(info.size()), shards);
  });
  std::uint64_t total = 0;
  for (const auto& shard : result.shards) {
    EXPECT_GT(shard.keys, 0U) << "shard " << shard.shard << " received no key";
    EXPECT_EQ(shard.errors, 0U);
    total += shard.keys;
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(kKeys * result.layout.client_count()));
}

TEST_P(StoreErrors, MissingKeyRaisesAndTheRankServesTheNextRequest) {
  const auto result = run_session(standard_with_shards(1, GetParam()), [](ClientEnv& env) {
    const std::string key = "missing_" + std::to_string(env.client);
    float out[8];
    const std::uint64_t dims[] = {8};
    const std::string message =
        error_of([&] { env.store.unpack_tensor(key, out, dims, DType::Float32); });
    EXPECT_NE(message.find("unpack_tensor '" + key + "' on shard 0"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown key"), std::string::npos) << message;
    EXPECT_NE(error_of([&] { env.store.get_tensor(key); }).find("get_tensor"), std::string::npos);
    EXPECT_NE(error_of([&] { env.store.delete_tensor(key); }).find("unknown key"),
              std::string::npos);
    // Still serving.
    const float in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    env.store.put_tensor(key, in, dims, DType::Float32);
    env.store.unpack_tensor(key, out, dims, DType::Float32);
    EXPECT_EQ(std::memcmp(in, out, sizeof(in)), 0);
  });
  EXPECT_EQ(result.shards[0].errors, static_cast<std::uint64_t>(3 * result.layout.client_count()));
}

TEST_P(StoreErrors, UndersizedOrMistypedBufferRaises) {
  run_session(standard_with_shards(1, GetParam()), [](ClientEnv& env) {
    const std::string key = "sized_" + std::to_string(env.client);
    std::vector<float> in(1024, 1.0F);
    const std::uint64_t dims[] = {1, 1024};
    env.store.put_tensor(key, in.data(), dims, DType::Float32);
    std::vector<float> out(1024);
    const std::uint64_t small[] = {512};
    const std::string message =
        error_of([&] { env.store.unpack_tensor(key, out.data(), small, DType::Float32); });
    EXPECT_NE(message.find("mismatch"), std::string::npos) << message;
    EXPECT_NE(message.find("float32 [1, 1024] (4096 bytes)"), std::string::npos) << message;
    EXPECT_NE(message.find("float32 [512] (2048 bytes)"), std::string::npos) << message;
    const std::uint64_t same_count[] = {1024};
    EXPECT_NE(error_of([&] {
                env.store.unpack_tensor(key, out.data(), same_count, DType::Int32);
              }).find("mismatch"),
              std::string::npos);
    env.store.unpack_tensor(key, out.data(), same_count, DType::Float32);
    EXPECT_EQ(out, in);
  });
}

TEST(MpiStoreErrors, MemoryCapRefusesPutsAndTheRankKeepsServing) {
  SessionOptions options = standard_with_shards(1);
  options.max_memory = 4 << 20;
  run_session(options, [](ClientEnv& env) {
    MPI_Barrier(env.clients);
    if (env.client == 0) {
      std::vector<std::byte> big(3 << 20);
      const std::uint64_t dims[] = {big.size()};
      env.store.put_tensor("{cap}a", big.data(), dims, DType::UInt8);
      const std::string message =
          error_of([&] { env.store.put_tensor("{cap}b", big.data(), dims, DType::UInt8); });
      EXPECT_NE(message.find("put_tensor '{cap}b' on shard 0"), std::string::npos) << message;
      EXPECT_NE(message.find("out of memory"), std::string::npos) << message;
      EXPECT_NE(message.find("db_max_memory=4194304"), std::string::npos) << message;
      EXPECT_FALSE(env.store.tensor_exists("{cap}b"));
      // A refused payload of several chunks is drained, and the next request is served.
      std::vector<std::byte> huge(20 << 20);
      const std::uint64_t huge_dims[] = {huge.size()};
      EXPECT_NE(error_of([&] {
                  env.store.put_tensor("{cap}huge", huge.data(), huge_dims, DType::UInt8);
                }).find("out of memory"),
                std::string::npos);
      EXPECT_FALSE(env.store.tensor_exists("{cap}huge"));
      env.store.put_tensor("{cap}a", big.data(), dims, DType::UInt8);  // overwrite fits
      env.store.delete_tensor("{cap}a");
      env.store.put_tensor("{cap}b", big.data(), dims, DType::UInt8);
      env.store.delete_tensor("{cap}b");
      const auto info = env.store.info();
      EXPECT_EQ(info[0].max_memory_bytes, 4U << 20);
      EXPECT_EQ(info[0].peak_memory_bytes, 3U << 20);
      EXPECT_EQ(info[0].memory_bytes, 0U);
    }
    MPI_Barrier(env.clients);
  });
}

TEST(MpiStoreErrors, MalformedFramesGetABadRequestReply) {
  run_session(standard_with_shards(1), [](ClientEnv& env) {
    using store::protocol::kMaxFrameBytes;
    namespace tags = store::control::tags;
    const int server = env.layout.shard_ranks[0];
    MPI_Comm comm = env.comm;
    // Frames no client would send, straight to the database rank; each gets a reply on
    // channel 0 saying what is wrong.
    std::vector<std::byte> bad_magic(sizeof(store::protocol::RequestHeader), std::byte{0x5A});
    const std::vector<std::pair<std::vector<std::byte>, std::string>> cases = {
        {std::vector<std::byte>(10), "shorter than a request header"},
        {bad_magic, "bad magic"},
        {std::vector<std::byte>(kMaxFrameBytes + 100), "longer than"},
    };
    std::vector<std::byte> reply(kMaxFrameBytes);
    for (const auto& [frame, phrase] : cases) {
      MPI_Send(frame.data(), static_cast<int>(frame.size()), MPI_BYTE, server, tags::kRequest,
               comm);
      MPI_Status status;
      MPI_Recv(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, server, tags::reply(0), comm,
               &status);
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      const auto decoded = store::protocol::decode_reply(
          std::span<const std::byte>(reply.data(), static_cast<std::size_t>(count)));
      EXPECT_EQ(decoded.status(), store::protocol::Status::BadRequest) << phrase;
      EXPECT_NE(decoded.text.find(phrase), std::string::npos) << decoded.text;
    }
    // A valid request with an invalid dtype is refused too.
    const std::uint64_t dims[] = {1};
    const std::byte one[4] = {};
    const std::string message =
        error_of([&] { env.store.put_tensor("bad_dtype", one, dims, static_cast<DType>(99)); });
    EXPECT_NE(message.find("bad request"), std::string::npos) << message;
    // And the rank still serves.
    const float value = 3;
    env.store.put_tensor("after_bad_" + std::to_string(env.client), &value, dims, DType::Float32);
    EXPECT_TRUE(env.store.tensor_exists("after_bad_" + std::to_string(env.client)));
  });
}

TEST_P(StoreColocated, ClientsOnlyTouchTheirNodesShard) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  SessionOptions options;
  options.backend = GetParam();
  options.deployment = core::Deployment::Colocated;
  // Clients per node: 2 ranks -> 1 node; 3 ranks -> 1 node of 2 clients; 4 ranks -> 2 nodes.
  options.ranks_per_node = world % 2 == 0 ? 1 : world - 1;
  constexpr int kKeys = 40;
  const auto result = run_session(options, [](ClientEnv& env) {
    const std::uint64_t dims[] = {2};
    const double value[2] = {0.5, 1.5};
    for (int k = 0; k < kKeys; ++k) {
      env.store.put_tensor("colo_" + std::to_string(env.client) + "_" + std::to_string(k), value,
                           dims, DType::Float64);
    }
    EXPECT_EQ(env.store.info().size(), 1U);
  });
  for (const auto& shard : result.shards) {
    const int clients = result.layout.clients_of_shard(shard.shard);
    EXPECT_EQ(shard.requests_by_op[static_cast<std::size_t>(store::Op::PutTensor)],
              static_cast<std::uint64_t>(kKeys * clients))
        << "shard " << shard.shard << " saw puts from another node's clients";
    EXPECT_EQ(shard.keys, static_cast<std::uint64_t>(kKeys * clients));
    EXPECT_EQ(shard.requests_by_op[static_cast<std::size_t>(store::Op::Goodbye)],
              static_cast<std::uint64_t>(clients));
  }
}

TEST_P(StorePoll, PollKeyWaitsForAnotherClientsPut) {
  run_session(standard_with_shards(1, GetParam()), [](ClientEnv& env) {
    EXPECT_FALSE(env.store.poll_key("never_there", 1, 3));
    const std::uint64_t dims[] = {1};
    const float one = 1;
    if (env.client == 0) env.store.put_tensor("ready", &one, dims, DType::Float32);
    MPI_Barrier(env.clients);
    EXPECT_TRUE(env.store.poll_key("ready", 1, 100));
  });
}

// The shared bodies run on every backend built into this binary.
INSTANTIATE_TEST_SUITE_P(Backends, StoreSharding, ::testing::ValuesIn(built_backends()),
                         backend_test_name);
INSTANTIATE_TEST_SUITE_P(Backends, StoreErrors, ::testing::ValuesIn(built_backends()),
                         backend_test_name);
INSTANTIATE_TEST_SUITE_P(Backends, StoreColocated, ::testing::ValuesIn(built_backends()),
                         backend_test_name);
INSTANTIATE_TEST_SUITE_P(Backends, StorePoll, ::testing::ValuesIn(built_backends()),
                         backend_test_name);

}  // namespace
}  // namespace scalestudy::testing
