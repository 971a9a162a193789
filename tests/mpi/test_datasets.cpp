// Datasets and lists on every backend (mpi, redis, fs), from the same test bodies: list
// semantics, datasets spread over shards fetched byte for byte in list order with several
// requests in flight, and the errors (missing dataset, missing list, poll timing out) after
// which the database keeps serving.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "mpi/store_session.hpp"
#include "store/dataset.hpp"

namespace scalestudy::testing {
namespace {

using store::DataSet;
using store::DType;

/// Bytes that differ per (seed, position), so a misplaced or stale byte is caught.
std::vector<std::byte> pattern(std::size_t bytes, std::uint64_t seed) {
  std::vector<std::byte> data(bytes);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 7;
  for (auto& b : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x & 0xFF);
  }
  return data;
}

/// A dataset and the memory its tensors refer to: tensors below and above every inline
/// threshold, of several dtypes, one empty, and metadata.
struct Built {
  std::vector<std::vector<std::byte>> memory;
  std::unique_ptr<DataSet> dataset;
};

struct TensorSpec {
  const char* name;
  DType dtype;
  std::vector<std::uint64_t> dims;
};

const std::vector<TensorSpec>& specs() {
  static const std::vector<TensorSpec> all = {
      {"small", DType::Float32, {2, 3}},
      {"empty", DType::UInt8, {0}},
      {"large", DType::Int16, {1, 300000}},  // 600 KB: its own message on the mpi backend
      {"medium", DType::Float64, {1000}},    // 8000 B: inline at 16 KiB
  };
  return all;
}

Built build(const std::string& name, std::uint64_t seed) {
  Built b;
  b.dataset = std::make_unique<DataSet>(name);
  b.memory.reserve(specs().size());
  for (std::size_t i = 0; i < specs().size(); ++i) {
    const auto& s = specs()[i];
    b.memory.push_back(pattern(store::tensor_bytes(s.dims, s.dtype), seed * 10 + i));
    b.dataset->add_tensor(s.name, b.memory.back().data(), s.dims, s.dtype);
  }
  b.dataset->add_meta_string("seed", std::to_string(seed));
  b.dataset->add_meta_string("seed", "again");
  return b;
}

/// Whether `got` is `expected` exactly: name, metadata, and every tensor's dtype, shape, bytes.
::testing::AssertionResult same(const DataSet& got, const DataSet& expected) {
  if (got.name() != expected.name()) {
    return ::testing::AssertionFailure()
           << "dataset '" << got.name() << "' for '" << expected.name() << "'";
  }
  if (got.metadata() != expected.metadata()) {
    return ::testing::AssertionFailure() << got.name() << ": metadata differs";
  }
  if (got.tensors().size() != expected.tensors().size()) {
    return ::testing::AssertionFailure() << got.name() << ": tensor count differs";
  }
  for (std::size_t i = 0; i < got.tensors().size(); ++i) {
    const auto& g = got.tensors()[i];
    const auto& e = expected.tensors()[i];
    if (g.name != e.name || g.dtype != e.dtype || g.dims != e.dims || g.bytes != e.bytes ||
        (g.bytes > 0 && std::memcmp(g.data, e.data, g.bytes) != 0)) {
      return ::testing::AssertionFailure() << got.name() << ": tensor '" << e.name << "' differs";
    }
  }
  return ::testing::AssertionSuccess();
}

/// Session options for `backend`: as many shards as it takes (fs: its one coordinating rank),
/// `in_flight` requests, and for fs a shared directory of this run's own.
SessionOptions options_for(const std::string& backend, int in_flight = 4,
                           std::uint64_t inline_bytes = 16384) {
  SessionOptions options = standard_with_shards(backend == "fs" ? 1 : 2, backend);
  options.inline_bytes = inline_bytes;
  options.parameters = {{"client_threads", std::to_string(in_flight)}};
  if (backend == "fs") {
    options.parameters.emplace_back("fs_directory",
                                    std::filesystem::temp_directory_path().string());
  }
  return options;
}

class DatasetStore : public ::testing::TestWithParam<std::string> {};

TEST_P(DatasetStore, ListsGrowByAppendAndVanishWhenDeleted) {
  run_session(options_for(GetParam()), [](ClientEnv& env) {
    const std::string c = std::to_string(env.client);
    const std::string list = "semantics_" + c;
    EXPECT_EQ(env.store.get_list_length(list), 0U) << "a missing list has length 0";
    Built a = build("sem_a_" + c, 1);
    Built b = build("sem_b_" + c, 2);
    env.store.put_dataset(*a.dataset);
    env.store.put_dataset(*b.dataset);
    EXPECT_TRUE(env.store.dataset_exists(a.dataset->name()));
    env.store.append_to_list(list, *a.dataset);
    EXPECT_EQ(env.store.get_list_length(list), 1U);
    env.store.append_to_list(list, *b.dataset);
    EXPECT_EQ(env.store.get_list_length(list), 2U);
    EXPECT_TRUE(env.store.poll_list_length(list, 2, 1, 1));
    const auto fetched = env.store.get_datasets_from_list(list);
    ASSERT_EQ(fetched.size(), 2U);
    EXPECT_TRUE(same(fetched[0], *a.dataset));
    EXPECT_TRUE(same(fetched[1], *b.dataset));
    EXPECT_TRUE(same(env.store.get_dataset(b.dataset->name()), *b.dataset));
    env.store.delete_list(list);
    EXPECT_EQ(env.store.get_list_length(list), 0U);
    EXPECT_TRUE(env.store.dataset_exists(a.dataset->name())) << "delete_list keeps datasets";
    env.store.delete_dataset(a.dataset->name());
    EXPECT_FALSE(env.store.dataset_exists(a.dataset->name()));
  });
}

TEST_P(DatasetStore, PollListLengthTimesOutAndSeesAnotherClientsAppends) {
  run_session(options_for(GetParam()), [](ClientEnv& env) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(env.store.poll_list_length("never_filled", 1, 5, 3));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(10))
        << "3 tries sleep twice 5 ms";
    int clients = 0;
    MPI_Comm_size(env.clients, &clients);
    Built mine = build("poll_" + std::to_string(env.client), 3);
    env.store.put_dataset(*mine.dataset);
    env.store.append_to_list("poll_shared", *mine.dataset);
    EXPECT_TRUE(
        env.store.poll_list_length("poll_shared", static_cast<std::uint64_t>(clients), 1, 10000));
  });
}

TEST_P(DatasetStore, DatasetsOnEveryShardComeBackInListOrderByteForByte) {
  constexpr int kDatasets = 12;
  run_session(options_for(GetParam(), 4), [](ClientEnv& env) {
    const std::string c = std::to_string(env.client);
    std::vector<Built> built;
    std::set<int> shards;
    // Names in increasing order (the fs backend returns a list in name order).
    for (int k = 0; k < kDatasets; ++k) {
      const std::string name = "spread_c" + c + "_" + (k < 10 ? "0" : "") + std::to_string(k);
      built.push_back(build(name, static_cast<std::uint64_t>(env.client * 100 + k)));
      env.store.put_dataset(*built.back().dataset);
      shards.insert(env.store.shard_of(name));
    }
    // The list lives on one shard and names datasets on all of them.
    const std::string list = "spread_list_" + c;
    for (const auto& b : built) env.store.append_to_list(list, *b.dataset);
    if (env.store.backend_name() != "fs") {
      EXPECT_EQ(static_cast<int>(shards.size()), env.layout.shard_count());
    }
    const auto fetched = env.store.get_datasets_from_list(list);
    ASSERT_EQ(fetched.size(), built.size());
    for (std::size_t k = 0; k < built.size(); ++k) {
      EXPECT_TRUE(same(fetched[k], *built[k].dataset)) << "position " << k;
    }
    // A dataset put again under its name replaces the old one (and its buffers are reused).
    Built again = build(built[0].dataset->name(), 999);
    env.store.put_dataset(*again.dataset);
    EXPECT_TRUE(same(env.store.get_dataset(again.dataset->name()), *again.dataset));
  });
}

TEST_P(DatasetStore, MissingDatasetsAndListsAreRefusedAndTheStoreKeepsServing) {
  run_session(options_for(GetParam()), [](ClientEnv& env) {
    const std::string c = std::to_string(env.client);
    Built never_put = build("never_put_" + c, 5);
    std::string message =
        error_of([&] { env.store.append_to_list("errors_" + c, *never_put.dataset); });
    EXPECT_NE(message.find("append_to_list 'errors_" + c + "', dataset 'never_put_" + c + "'"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("put_dataset it before appending"), std::string::npos) << message;
    EXPECT_EQ(env.store.get_list_length("errors_" + c), 0U) << "nothing was appended";

    message = error_of([&] { env.store.get_dataset("no_dataset_" + c); });
    EXPECT_NE(message.find("get_dataset 'no_dataset_" + c + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("no dataset under this name"), std::string::npos) << message;
    message = error_of([&] { env.store.get_datasets_from_list("no_list_" + c); });
    EXPECT_NE(message.find("'no_list_" + c + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("no list under this name"), std::string::npos) << message;
    EXPECT_NE(error_of([&] { env.store.delete_list("no_list_" + c); }).find("no list"),
              std::string::npos);
    EXPECT_NE(error_of([&] { env.store.delete_dataset("no_dataset_" + c); }).find("no dataset"),
              std::string::npos);

    // A list that names a dataset deleted since: the fetch fails naming it, after every
    // other request in flight has completed, and the next requests are served.
    Built kept = build("kept_" + c, 6);
    Built gone = build("gone_" + c, 7);
    env.store.put_dataset(*kept.dataset);
    env.store.put_dataset(*gone.dataset);
    const std::string list = "dangling_" + c;
    env.store.append_to_list(list, *kept.dataset);
    env.store.append_to_list(list, *gone.dataset);
    env.store.append_to_list(list, *kept.dataset);
    env.store.delete_dataset(gone.dataset->name());
    message = error_of([&] { env.store.get_datasets_from_list(list); });
    if (env.store.backend_name() == "fs") {
      // The list holds its own copies of the files: deleting the dataset does not touch them.
      EXPECT_EQ(message, "(no error)");
    } else {
      EXPECT_NE(message.find("'gone_" + c + "'"), std::string::npos) << message;
      EXPECT_NE(message.find("shard"), std::string::npos) << message;
    }
    EXPECT_TRUE(same(env.store.get_dataset(kept.dataset->name()), *kept.dataset));
    EXPECT_EQ(env.store.get_list_length(list), env.store.backend_name() == "fs" ? 2U : 3U);
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, DatasetStore, ::testing::ValuesIn(dataset_backends()),
                         backend_test_name);

/// Parameters: backend, requests in flight, mpi inline threshold.
class DatasetFetch : public ::testing::TestWithParam<std::tuple<std::string, int, std::uint64_t>> {
};

TEST_P(DatasetFetch, EveryClientFetchesEveryClientsDatasetsWhateverTheRequestsInFlight) {
  const auto [backend, in_flight, inline_bytes] = GetParam();
  run_session(options_for(backend, in_flight, inline_bytes), [&](ClientEnv& env) {
    int clients = 0;
    MPI_Comm_size(env.clients, &clients);
    EXPECT_EQ(env.store.requests_in_flight(), in_flight);
    std::vector<Built> all;
    for (int c = 0; c < clients; ++c) {
      for (int k = 0; k < 3; ++k) {
        all.push_back(build("fetch_" + std::to_string(c) + "_" + std::to_string(k),
                            static_cast<std::uint64_t>(c * 10 + k)));
      }
    }
    for (int k = 0; k < 3; ++k) {
      const Built& mine = all[static_cast<std::size_t>(env.client * 3 + k)];
      env.store.put_dataset(*mine.dataset);
      env.store.append_to_list("fetch_list", *mine.dataset);
    }
    MPI_Barrier(env.clients);
    const auto fetched = env.store.get_datasets_from_list("fetch_list");
    ASSERT_EQ(fetched.size(), all.size());
    std::set<std::string> names;
    for (const auto& dataset : fetched) {
      names.insert(dataset.name());
      for (const auto& b : all) {
        if (b.dataset->name() == dataset.name()) {
          EXPECT_TRUE(same(dataset, *b.dataset));
        }
      }
    }
    EXPECT_EQ(names.size(), all.size()) << "every dataset once";
  });
}

std::string fetch_name(
    const ::testing::TestParamInfo<std::tuple<std::string, int, std::uint64_t>>& info) {
  return std::get<0>(info.param) + "_" + std::to_string(std::get<1>(info.param)) + "_inflight_" +
         std::to_string(std::get<2>(info.param)) + "_inline";
}

INSTANTIATE_TEST_SUITE_P(Mpi, DatasetFetch,
                         ::testing::Combine(::testing::Values("mpi"), ::testing::Values(1, 8),
                                            ::testing::Values(0, 65536)),
                         fetch_name);
std::vector<std::string> other_dataset_backends() {
  auto names = dataset_backends();
  std::erase(names, "mpi");
  return names;
}
INSTANTIATE_TEST_SUITE_P(Others, DatasetFetch,
                         ::testing::Combine(::testing::ValuesIn(other_dataset_backends()),
                                            ::testing::Values(1, 8), ::testing::Values(16384)),
                         fetch_name);

}  // namespace
}  // namespace scalestudy::testing
