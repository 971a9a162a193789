// Models and scripts through the mpi store: results equal to libtorch run directly, dynamic
// batching that sends every output back to its own client, and errors that leave the
// database ranks serving.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "inference/local_model.hpp"
#include "inference/torch_runtime.hpp"
#include "mpi/store_session.hpp"

namespace scalestudy::testing {
namespace {

using store::DType;

std::string models_dir() { return SCALESTUDY_TEST_MODELS_DIR; }

SessionOptions with_models(SessionOptions options) {
  options.model_runtime = [] { return inference::make_torch_runtime({}); };
  return options;
}

/// Images of `batch` x 32 x 32 x 3 in [0, 255), distinct per seed.
std::vector<float> images(std::uint64_t batch, int seed) {
  std::vector<float> data(batch * 32 * 32 * 3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<float>((i * 37 + static_cast<std::size_t>(seed) * 101) % 255);
  }
  return data;
}

void set_tiny_model(store::Store& store, const store::ModelOptions& options = {}) {
  store.set_model_from_file("tiny", models_dir() + "/tiny_cnn.pt", options);
  store.set_script_from_file("pre", models_dir() + "/data_processing_script.txt");
}

/// What libtorch computes in-process for the same images.
std::vector<float> expected_scores(const std::vector<float>& input, std::uint64_t batch) {
  inference::LocalScript script =
      inference::LocalScript::from_file(models_dir() + "/data_processing_script.txt", {});
  inference::LocalModel model = inference::LocalModel::from_file(models_dir() + "/tiny_cnn.pt", {});
  std::vector<float> processed(input.size());
  const std::uint64_t dims[] = {batch, 32, 32, 3};
  script.run("pre_process_3ch", input, dims, processed);
  const std::uint64_t nchw[] = {batch, 3, 32, 32};
  return model.run(processed, nchw);
}

TEST(MpiStoreModels, ScriptAndModelGiveTheSameNumbersAsLibtorchInProcess) {
  run_session(with_models(standard_with_shards(2)), [](ClientEnv& env) {
    if (env.client == 0) set_tiny_model(env.store);
    MPI_Barrier(env.clients);
    ASSERT_TRUE(env.store.poll_model("tiny", 10, 100));
    const std::string tag = "{c" + std::to_string(env.client) + "}";
    const auto input = images(3, env.client);
    const std::uint64_t dims[] = {3, 32, 32, 3};
    env.store.put_tensor(tag + "in", input.data(), dims, DType::Float32);
    env.store.run_script("pre", "pre_process_3ch", {tag + "in"}, {tag + "x"});
    env.store.run_model("tiny", {tag + "x"}, {tag + "out"});
    const store::Tensor out = env.store.get_tensor(tag + "out");
    EXPECT_EQ(out.dims, (std::vector<std::uint64_t>{3, 10}));
    const auto expected = expected_scores(input, 3);
    ASSERT_EQ(out.data.size(), expected.size() * sizeof(float));
    EXPECT_EQ(std::memcmp(out.data.data(), expected.data(), out.data.size()), 0)
        << "scores differ from libtorch in-process (1 intra-op thread on both sides)";
    // The processed images are stored too, and are what the script computes in-process.
    const store::Tensor x = env.store.get_tensor(tag + "x");
    EXPECT_EQ(x.dims, (std::vector<std::uint64_t>{3, 3, 32, 32}));
  });
}

TEST(MpiStoreModels, DynamicBatchingSendsEveryOutputBackToItsClient) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  SessionOptions options = with_models(standard_with_shards(1));
  const auto result = run_session(options, [](ClientEnv& env) {
    if (env.client == 0) {
      store::ModelOptions batched;
      batched.max_batch_size = 8;
      batched.max_queue_delay_us = 200000;  // long enough for every client's request to join
      set_tiny_model(env.store, batched);
    }
    MPI_Barrier(env.clients);
    const std::string tag = "{c" + std::to_string(env.client) + "}";
    const auto input = images(1, 10 + env.client);
    const std::uint64_t dims[] = {1, 32, 32, 3};
    env.store.put_tensor(tag + "in", input.data(), dims, DType::Float32);
    env.store.run_script("pre", "pre_process_3ch", {tag + "in"}, {tag + "x"});
    MPI_Barrier(env.clients);  // every client asks for its inference at once
    env.store.run_model("tiny", {tag + "x"}, {tag + "out"});
    const store::Tensor out = env.store.get_tensor(tag + "out");
    const auto expected = expected_scores(input, 1);
    ASSERT_EQ(out.data.size(), expected.size() * sizeof(float));
    const auto* got = reinterpret_cast<const float*>(out.data.data());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      // Batched convolutions may sum in another order: equal to float rounding.
      EXPECT_NEAR(got[i], expected[i], 1e-4F * (1.0F + std::abs(expected[i])))
          << "client " << env.client << " got another client's output at " << i;
    }
  });
  if (world - 1 > 1) {
    EXPECT_GT(result.largest_model_batch, 1) << "no two clients' requests were batched";
  }
}

TEST(MpiStoreModels, ErrorsComeBackWithTheirReasonAndTheRanksKeepServing) {
  run_session(with_models(standard_with_shards(2)), [](ClientEnv& env) {
    if (env.client == 0) set_tiny_model(env.store);
    MPI_Barrier(env.clients);
    const std::string tag = "{e" + std::to_string(env.client) + "}";
    std::string message = error_of([&] { env.store.run_model("nope", {tag + "x"}, {tag + "y"}); });
    EXPECT_NE(message.find("model error: no model 'nope'"), std::string::npos) << message;
    message = error_of([&] { env.store.run_model("tiny", {tag + "missing"}, {tag + "y"}); });
    EXPECT_NE(message.find("unknown key: input '" + tag + "missing' is not on shard"),
              std::string::npos)
        << message;
    // A wrong shape: torch's own message.
    const std::vector<float> flat(7, 1.0F);
    const std::uint64_t dims[] = {7};
    env.store.put_tensor(tag + "flat", flat.data(), dims, DType::Float32);
    message = error_of([&] { env.store.run_model("tiny", {tag + "flat"}, {tag + "y"}); });
    EXPECT_NE(message.find("run_model 'tiny' on shard"), std::string::npos) << message;
    EXPECT_NE(message.find("model error"), std::string::npos) << message;
    // Keys on two shards: refused before anything is sent.
    if (env.layout.shard_count() > 1) {
      std::string other = "{o0}y";
      for (int i = 1; env.store.shard_of(other) == env.store.shard_of(tag + "x"); ++i) {
        other = "{o" + std::to_string(i) + "}y";
      }
      message = error_of([&] { env.store.run_model("tiny", {tag + "x"}, {other}); });
      EXPECT_NE(message.find("inputs and outputs must be on one shard"), std::string::npos)
          << message;
    }
    // Garbage model bytes and a broken script: the runtime's messages.
    const std::string garbage = "not a model";
    std::string bad = "bad";
    bad += std::to_string(env.client);
    message = error_of([&] {
      env.store.set_model(bad, std::as_bytes(std::span(garbage.data(), garbage.size())), {});
    });
    EXPECT_NE(message.find("set_model 'bad"), std::string::npos) << message;
    message = error_of([&] { env.store.set_script("broken", "def f(x:\n  return"); });
    EXPECT_NE(message.find("set_script 'broken'"), std::string::npos) << message;
    // Still serving: a good request goes through.
    const auto input = images(1, env.client);
    const std::uint64_t image_dims[] = {1, 32, 32, 3};
    env.store.put_tensor(tag + "in", input.data(), image_dims, DType::Float32);
    env.store.run_script("pre", "pre_process_3ch", {tag + "in"}, {tag + "x"});
    env.store.run_model("tiny", {tag + "x"}, {tag + "out"});
    EXPECT_TRUE(env.store.tensor_exists(tag + "out"));
  });
}

TEST(MpiStoreModels, WithoutARuntimeModelRequestsAreRefusedClearly) {
  run_session(standard_with_shards(1), [](ClientEnv& env) {
    const std::string model = "x";
    std::string key = "m";
    key += std::to_string(env.client);
    const std::string message = error_of([&] {
      env.store.set_model(key, std::as_bytes(std::span(model.data(), model.size())), {});
    });
    EXPECT_NE(message.find("model error: this database rank has no model runtime"),
              std::string::npos)
        << message;
    EXPECT_FALSE(env.store.model_exists("m"));
  });
}

}  // namespace
}  // namespace scalestudy::testing
