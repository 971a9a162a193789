// TorchRuntime against LocalModel on the generated models: round trips, batching, errors, shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "inference/local_model.hpp"
#include "inference/torch_runtime.hpp"

namespace {

namespace store = scalestudy::store;
using scalestudy::inference::LocalModel;
using scalestudy::inference::LocalScript;
using scalestudy::inference::LocalThreads;
using scalestudy::inference::make_torch_runtime;

const std::vector<std::uint64_t> kImage = {1, 3, 32, 32};  // tiny_cnn's input at batch 1
constexpr std::size_t kClasses = 10;

std::string models_dir() {
  const char* dir = std::getenv("SCALESTUDY_MODELS_DIR");
  return dir != nullptr ? dir : SCALESTUDY_TEST_MODELS_DIR;
}

std::string read_file(const std::string& name) {
  const std::string path = models_dir() + "/" + name;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path + " (set SCALESTUDY_MODELS_DIR)");
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text));
}

std::size_t count(const std::vector<std::uint64_t>& dims) {
  std::size_t n = 1;
  for (const std::uint64_t d : dims) n *= d;
  return n;
}

/// Distinct, reproducible input values for each seed.
std::shared_ptr<std::vector<float>> random_floats(std::size_t n, unsigned seed, float low = -1,
                                                  float high = 1) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  auto values = std::make_shared<std::vector<float>>(n);
  for (float& v : *values) v = uniform(engine);
  return values;
}

store::InputTensor input_of(std::shared_ptr<std::vector<float>> values,
                            std::vector<std::uint64_t> dims) {
  store::InputTensor input;
  input.dtype = store::DType::Float32;
  input.dims = std::move(dims);
  input.data = reinterpret_cast<const std::byte*>(values->data());
  input.bytes = values->size() * sizeof(float);
  input.owner = std::move(values);
  return input;
}

store::ModelJob model_job(std::uint64_t ticket, std::string key,
                          std::vector<store::InputTensor> inputs) {
  store::ModelJob job;
  job.ticket = ticket;
  job.key = std::move(key);
  job.inputs = std::move(inputs);
  return job;
}

store::ModelJob script_job(std::uint64_t ticket, std::string key, std::string function,
                           std::vector<store::InputTensor> inputs) {
  store::ModelJob job = model_job(ticket, std::move(key), std::move(inputs));
  job.script = true;
  job.function = std::move(function);
  return job;
}

/// Polls take_results (which never blocks) until `n` results came, by ticket. Fails after 120 s.
std::map<std::uint64_t, store::JobResult> wait_for(store::ModelRuntime& runtime, std::size_t n) {
  std::map<std::uint64_t, store::JobResult> by_ticket;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::vector<store::JobResult> results;
  while (by_ticket.size() < n && std::chrono::steady_clock::now() < deadline) {
    runtime.take_results(results);
    for (store::JobResult& r : results) by_ticket.emplace(r.ticket, std::move(r));
    results.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(by_ticket.size(), n) << "results missing after 120 s";
  return by_ticket;
}

store::JobResult run_one(store::ModelRuntime& runtime, store::ModelJob job) {
  const std::uint64_t ticket = job.ticket;
  runtime.submit(std::move(job));
  auto results = wait_for(runtime, 1);
  return results.count(ticket) ? std::move(results.at(ticket)) : store::JobResult{};
}

std::vector<float> floats_of(const store::Tensor& tensor) {
  EXPECT_EQ(tensor.dtype, store::DType::Float32);
  std::vector<float> out(tensor.data.size() / sizeof(float));
  std::memcpy(out.data(), tensor.data.data(), out.size() * sizeof(float));
  return out;
}

std::vector<float> local_forward(LocalModel& model, const std::vector<float>& input,
                                 const std::vector<std::uint64_t>& dims) {
  std::vector<float> out(dims.front() * kClasses);
  model.run(input, dims, out);
  return out;
}

float max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

class InferenceRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    tiny_ = read_file("tiny_cnn.pt");
    script_ = read_file("data_processing_script.txt");
  }
  std::string tiny_;
  std::string script_;
};

TEST_F(InferenceRuntime, ModelRoundTripMatchesLocalModelBitwise) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {});
  EXPECT_TRUE(runtime->has_model("tiny"));
  EXPECT_FALSE(runtime->has_script("tiny"));
  ASSERT_EQ(runtime->loads().size(), 1u);
  EXPECT_LT(runtime->loads()[0].first_call_s, 0);

  const std::vector<std::uint64_t> dims = {2, 3, 32, 32};
  auto input = random_floats(count(dims), 1);
  const store::JobResult result = run_one(*runtime, model_job(7, "tiny", {input_of(input, dims)}));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(result.outputs[0].dims, (std::vector<std::uint64_t>{2, kClasses}));
  EXPECT_EQ(result.batch_size, 2);
  EXPECT_GE(result.queue_s, 0);
  EXPECT_GT(result.compute_s, 0);
  EXPECT_EQ(runtime->pending(), 0u);

  LocalModel local(bytes_of(tiny_), LocalThreads{1, 1});
  // One intra-op thread on both sides: the same kernels in the same order, the same bits.
  EXPECT_EQ(floats_of(result.outputs[0]), local_forward(local, *input, dims));

  const auto loads = runtime->loads();
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].key, "tiny");
  EXPECT_FALSE(loads[0].script);
  EXPECT_GT(loads[0].load_s, 0);
  EXPECT_GT(loads[0].first_call_s, 0);
}

TEST_F(InferenceRuntime, TwoIntraOpThreadsMatchOneWithinRounding) {
  // Two OpenMP threads may split a convolution's or GEMM's reduction differently from one, so
  // float32 sums can differ in their last bits (a few ulps of the largest partial sums); 1e-5 of
  // the output scale is ~100 ulps, far below the differences between distinct inputs' outputs.
  auto runtime = make_torch_runtime({2, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {});
  const std::vector<std::uint64_t> dims = {4, 3, 32, 32};
  auto input = random_floats(count(dims), 2);
  const store::JobResult result = run_one(*runtime, model_job(1, "tiny", {input_of(input, dims)}));
  ASSERT_EQ(result.error, "");
  LocalModel one_thread(bytes_of(tiny_), LocalThreads{1, 1});
  const std::vector<float> expected = local_forward(one_thread, *input, dims);
  float scale = 0;
  for (const float v : expected) scale = std::max(scale, std::abs(v));
  EXPECT_LE(max_abs_difference(floats_of(result.outputs[0]), expected), 1e-5f * scale);

  LocalModel two_threads(bytes_of(tiny_), LocalThreads{2, 1});
  EXPECT_LE(max_abs_difference(local_forward(two_threads, *input, dims), expected), 1e-5f * scale);
}

TEST_F(InferenceRuntime, ScriptRoundTripMatchesLocalScriptAndNormalises) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_script("pre", script_);
  EXPECT_TRUE(runtime->has_script("pre"));
  EXPECT_FALSE(runtime->has_model("pre"));

  // One image, 4 x 5 pixels, 3 channels (HWC as a simulation writes it), values 0..255.
  const std::vector<std::uint64_t> dims = {1, 4, 5, 3};
  auto image = random_floats(count(dims), 3, 0, 255);
  (*image)[0] = 0;                      // pixel (0, 0), channel 0
  (*image)[1] = 255;                    // pixel (0, 0), channel 1
  (*image)[(2 * 5 + 3) * 3 + 2] = 128;  // pixel (2, 3), channel 2
  const store::JobResult result =
      run_one(*runtime, script_job(1, "pre", "pre_process_3ch", {input_of(image, dims)}));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(result.outputs[0].dims, (std::vector<std::uint64_t>{1, 3, 4, 5}));
  const std::vector<float> out = floats_of(result.outputs[0]);

  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stdev[3] = {0.229f, 0.224f, 0.225f};
  const auto at = [&out](std::size_t c, std::size_t h, std::size_t w) {
    return out[(c * 4 + h) * 5 + w];
  };
  EXPECT_FLOAT_EQ(at(0, 0, 0), (0.0f - 0.485f) / 0.229f);  // -2.1179
  EXPECT_FLOAT_EQ(at(1, 0, 0), (1.0f - 0.456f) / 0.224f);  // 2.4286
  EXPECT_FLOAT_EQ(at(2, 2, 3), (128.0f / 255.0f - 0.406f) / 0.225f);
  EXPECT_NEAR(at(0, 0, 0), -2.1179039f, 1e-6);
  EXPECT_NEAR(at(1, 0, 0), 2.4285715f, 1e-6);
  for (std::size_t h = 0; h < 4; ++h) {
    for (std::size_t w = 0; w < 5; ++w) {
      for (std::size_t c = 0; c < 3; ++c) {
        const float v = (*image)[(h * 5 + w) * 3 + c];
        EXPECT_FLOAT_EQ(at(c, h, w), (v / 255.0f - mean[c]) / stdev[c]);
      }
    }
  }

  LocalScript local(script_, LocalThreads{1, 1});
  std::vector<float> expected(out.size());
  EXPECT_EQ(local.run("pre_process_3ch", *image, dims, expected),
            (std::vector<std::uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(out, expected);
  EXPECT_EQ(local.run("pre_process_3ch", *image, dims), expected);

  // uint8 images (what a camera writes) go through the same function.
  auto pixels = std::make_shared<std::vector<std::uint8_t>>(4 * 5 * 3, std::uint8_t{255});
  store::InputTensor bytes_input;
  bytes_input.dtype = store::DType::UInt8;
  bytes_input.dims = {4, 5, 3};
  bytes_input.data = reinterpret_cast<const std::byte*>(pixels->data());
  bytes_input.bytes = pixels->size();
  bytes_input.owner = pixels;
  const store::JobResult from_bytes =
      run_one(*runtime, script_job(2, "pre", "pre_process_3ch", {bytes_input}));
  ASSERT_EQ(from_bytes.error, "");
  EXPECT_EQ(from_bytes.outputs[0].dims, (std::vector<std::uint64_t>{1, 3, 4, 5}));
  EXPECT_FLOAT_EQ(floats_of(from_bytes.outputs[0])[0], (1.0f - 0.485f) / 0.229f);

  const auto loads = runtime->loads();
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_TRUE(loads[0].script);
  EXPECT_GT(loads[0].first_call_s, 0);
}

// Several clients send distinct batch-1 images at once; the batcher may put any of them together,
// and each must get back what the model computes for its own image.
void check_clients_get_their_own_outputs(const std::string& model, int max_batch_size,
                                         int max_queue_delay_us, int clients, int per_client,
                                         int* largest_batch) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(model), {1, 1, max_batch_size, max_queue_delay_us});
  std::vector<std::shared_ptr<std::vector<float>>> inputs;
  for (int i = 0; i < clients * per_client; ++i) {
    inputs.push_back(random_floats(count(kImage), 100 + static_cast<unsigned>(i)));
  }
  // The batches only form if the jobs meet in the queue: the model's first call is slow
  // (profiling), so warm it up, then release all clients together.
  ASSERT_EQ(run_one(*runtime, model_job(999, "tiny", {input_of(inputs[0], kImage)})).error, "");
  std::barrier start(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      start.arrive_and_wait();
      for (int k = 0; k < per_client; ++k) {
        const auto i = static_cast<std::size_t>(c * per_client + k);
        runtime->submit(model_job(i, "tiny", {input_of(inputs[i], kImage)}));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const auto results = wait_for(*runtime, inputs.size());

  LocalModel local(bytes_of(model), LocalThreads{1, 1});
  *largest_batch = 0;
  for (const auto& [ticket, result] : results) {
    ASSERT_EQ(result.error, "") << "ticket " << ticket;
    ASSERT_EQ(result.outputs.size(), 1u);
    EXPECT_EQ(result.outputs[0].dims, (std::vector<std::uint64_t>{1, kClasses}));
    const std::vector<float> got = floats_of(result.outputs[0]);
    const std::vector<float> own = local_forward(local, *inputs[ticket], kImage);
    // Batched convolutions may take other kernels than batch 1 (last-bit differences), so
    // compare within 1e-5 of the scale, and make sure the output is not a neighbour's.
    float scale = 0;
    for (const float v : own) scale = std::max(scale, std::abs(v));
    EXPECT_LE(max_abs_difference(got, own), 1e-5f * scale) << "ticket " << ticket;
    for (std::size_t other = 0; other < inputs.size(); ++other) {
      if (other == ticket) continue;
      EXPECT_GT(max_abs_difference(got, local_forward(local, *inputs[other], kImage)),
                1e-3f * scale)
          << "ticket " << ticket << " got ticket " << other << "'s output";
    }
    EXPECT_GE(result.batch_size, 1);
    EXPECT_LE(result.batch_size, std::max(max_batch_size, 1));
    EXPECT_GE(result.queue_s, 0);
    EXPECT_GT(result.compute_s, 0);
    *largest_batch = std::max(*largest_batch, result.batch_size);
  }
  EXPECT_EQ(runtime->pending(), 0u);
}

TEST_F(InferenceRuntime, BatchingSplitsOutputsBackToTheirClients) {
  int largest = 0;
  // A generous delay (0.2 s) so that the batches form even on a loaded machine.
  check_clients_get_their_own_outputs(tiny_, 4, 200'000, 6, 2, &largest);
  EXPECT_GT(largest, 1) << "no two jobs were batched together";
}

TEST_F(InferenceRuntime, WithoutBatchingEveryRequestRunsAlone) {
  int largest = 0;
  check_clients_get_their_own_outputs(tiny_, 0, 200'000, 4, 2, &largest);
  EXPECT_EQ(largest, 1);
}

TEST_F(InferenceRuntime, ARequestLargerThanTheMaximumBatchRunsAlone) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {1, 1, 2, 1000});
  const std::vector<std::uint64_t> dims = {5, 3, 32, 32};
  auto input = random_floats(count(dims), 5);
  const store::JobResult result = run_one(*runtime, model_job(1, "tiny", {input_of(input, dims)}));
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.batch_size, 5);
  LocalModel local(bytes_of(tiny_), LocalThreads{1, 1});
  EXPECT_EQ(floats_of(result.outputs[0]), local_forward(local, *input, dims));
}

TEST_F(InferenceRuntime, InstancesAndThreadsPerQueueServeConcurrently) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {2, 2, 0, 0});
  LocalModel local(bytes_of(tiny_), LocalThreads{1, 1});
  std::vector<std::shared_ptr<std::vector<float>>> inputs;
  for (std::uint64_t t = 0; t < 16; ++t) {
    inputs.push_back(random_floats(count(kImage), 200 + static_cast<unsigned>(t)));
    runtime->submit(model_job(t, "tiny", {input_of(inputs.back(), kImage)}));
  }
  for (const auto& [ticket, result] : wait_for(*runtime, inputs.size())) {
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(floats_of(result.outputs[0]), local_forward(local, *inputs[ticket], kImage));
  }
}

TEST_F(InferenceRuntime, ErrorsComeBackAsMessagesAndTheRuntimeKeepsServing) {
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {1, 1, 4, 100});
  runtime->set_script("pre", script_);
  const auto image = random_floats(count(kImage), 9);
  const auto good = [&](std::uint64_t ticket) {
    const store::JobResult r =
        run_one(*runtime, model_job(ticket, "tiny", {input_of(image, kImage)}));
    EXPECT_EQ(r.error, "") << "the runtime stopped serving after an error";
    EXPECT_EQ(r.outputs.size(), 1u);
  };
  const auto error_of = [&](store::ModelJob job) {
    const store::JobResult r = run_one(*runtime, std::move(job));
    EXPECT_TRUE(r.outputs.empty());
    return r.error;
  };
  const auto image_as = [&](std::vector<std::uint64_t> dims) {
    const std::size_t n = count(dims);
    return input_of(random_floats(n, 10), std::move(dims));
  };

  EXPECT_NE(error_of(model_job(1, "missing", {input_of(image, kImage)})).find("no such model"),
            std::string::npos);
  good(2);
  EXPECT_NE(
      error_of(script_job(3, "missing", "f", {input_of(image, kImage)})).find("no such script"),
      std::string::npos);
  // Four channels where the first convolution wants three: torch's message, no backtrace.
  const std::string shape = error_of(model_job(4, "tiny", {image_as({1, 4, 32, 32})}));
  EXPECT_NE(shape.find("model 'tiny'"), std::string::npos) << shape;
  EXPECT_NE(shape.find("channels"), std::string::npos) << shape;
  EXPECT_EQ(shape.find("Exception raised from"), std::string::npos) << shape;  // C++ backtrace
  EXPECT_EQ(shape.find("Traceback"), std::string::npos) << shape;  // TorchScript's tracebacks
  good(5);
  EXPECT_NE(error_of(model_job(6, "tiny", {input_of(image, kImage), input_of(image, kImage)})), "");
  EXPECT_NE(error_of(model_job(7, "tiny", {})), "");
  good(8);
  EXPECT_NE(error_of(script_job(9, "pre", "nonexistent", {input_of(image, kImage)}))
                .find("pre_process_3ch"),
            std::string::npos);

  // Inputs the runtime refuses before torch sees them.
  store::InputTensor short_buffer = input_of(image, kImage);
  short_buffer.bytes -= 4;
  EXPECT_NE(error_of(model_job(10, "tiny", {short_buffer})).find("bytes"), std::string::npos);
  store::InputTensor uint16 = input_of(image, {1, 3, 32, 64});
  uint16.dtype = store::DType::UInt16;
  EXPECT_NE(error_of(model_job(11, "tiny", {uint16})).find("uint16"), std::string::npos);
  good(12);

  // Outputs the store cannot hold: a bool tensor, an int.
  runtime->set_script("odd",
                      "def positive(x):\n    return x > 0\n\n"
                      "def rank(x):\n    return x.dim()\n");
  EXPECT_NE(error_of(script_job(13, "odd", "positive", {input_of(image, kImage)})).find("Bool"),
            std::string::npos);
  EXPECT_NE(error_of(script_job(14, "odd", "rank", {input_of(image, kImage)}))
                .find("must return a tensor"),
            std::string::npos);

  // Garbage model bytes and a bad script throw StoreError from set_*, and change nothing.
  const std::string garbage = "this is not a zip archive";
  EXPECT_THROW(runtime->set_model("tiny", bytes_of(garbage), {}), scalestudy::StoreError);
  try {
    runtime->set_script("pre", "def broken(x):\n    return x +\n");
    ADD_FAILURE() << "a bad script compiled";
  } catch (const scalestudy::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("set_script 'pre'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(runtime->set_model("tiny", bytes_of(tiny_), {0, 1, 0, 0}), scalestudy::StoreError);
  good(15);
  EXPECT_EQ(
      run_one(*runtime, script_job(16, "pre", "pre_process_3ch", {image_as({1, 8, 8, 3})})).error,
      "");
  EXPECT_EQ(runtime->pending(), 0u);
}

TEST_F(InferenceRuntime, AFailingBatchIsRetriedJobByJob) {
  // Four jobs with four channels batch together and fail; each is then run alone, so that each
  // gets the answer (here torch's error) it would have had without batching.
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {1, 1, 4, 200'000});
  const std::vector<std::uint64_t> dims = {1, 4, 32, 32};
  for (std::uint64_t t = 0; t < 4; ++t) {
    runtime->submit(model_job(t, "tiny", {input_of(random_floats(count(dims), 20), dims)}));
  }
  for (const auto& [ticket, result] : wait_for(*runtime, 4)) {
    EXPECT_NE(result.error.find("channels"), std::string::npos) << result.error;
    EXPECT_EQ(result.batch_size, 1) << "ticket " << ticket << " was not retried alone";
  }
}

TEST_F(InferenceRuntime, ReplacingAModelWhileJobsAreQueuedAnswersEveryJob) {
  // One client submits without pause while the model is replaced five times under it: every job
  // goes either to the old model, which finishes its queue, or to the new one.
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", bytes_of(tiny_), {1, 1, 4, 1000});
  const auto image = random_floats(count(kImage), 11);
  constexpr std::uint64_t kJobs = 300;
  std::thread client([&] {
    for (std::uint64_t t = 0; t < kJobs; ++t) {
      runtime->submit(model_job(t, "tiny", {input_of(image, kImage)}));
      if (t % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  for (int round = 0; round < 5; ++round) {
    runtime->set_model("tiny", bytes_of(tiny_), {1 + round % 2, 1, round % 3, 500});
  }
  client.join();
  for (const auto& [t, result] : wait_for(*runtime, kJobs)) {
    EXPECT_EQ(result.error, "") << "ticket " << t;
  }
  EXPECT_EQ(runtime->pending(), 0u);
  EXPECT_EQ(runtime->loads().size(), 1u);
}

TEST_F(InferenceRuntime, DestructorWithJobsInFlightReturns) {
  const std::string resnet = read_file("resnet18.pt");
  auto done = std::async(std::launch::async, [&] {
    auto runtime = make_torch_runtime({1, 1});
    runtime->set_model("tiny", bytes_of(tiny_), {2, 2, 4, 100'000});
    runtime->set_model("resnet", bytes_of(resnet), {1, 1, 0, 0});
    runtime->set_script("pre", script_);
    const std::vector<std::uint64_t> big = {2, 3, 224, 224};
    const auto image = random_floats(count(kImage), 12);
    const auto large = random_floats(count(big), 13);
    for (std::uint64_t t = 0; t < 50; ++t) {
      runtime->submit(model_job(t, "tiny", {input_of(image, kImage)}));
      if (t % 10 == 0) runtime->submit(model_job(1000 + t, "resnet", {input_of(large, big)}));
      runtime->submit(script_job(2000 + t, "pre", "pre_process_3ch", {input_of(large, big)}));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<store::JobResult> some;
    runtime->take_results(some);  // never blocks, whatever is there
    EXPECT_GT(runtime->pending(), 0u);
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "the runtime's destructor hangs with jobs in flight";
  done.get();
}

TEST_F(InferenceRuntime, LocalModelChecksItsBuffers) {
  LocalModel local(bytes_of(tiny_), LocalThreads{1, 1});
  const auto image = random_floats(count(kImage), 14);
  std::vector<float> too_small(kClasses - 1);
  EXPECT_THROW(local.run(*image, kImage, too_small), scalestudy::WorkloadError);
  std::vector<float> out(kClasses);
  EXPECT_THROW(local.run(std::span(*image).first(100), kImage, out), scalestudy::WorkloadError);
  EXPECT_EQ(local.run(*image, kImage, out), (std::vector<std::uint64_t>{1, kClasses}));
  EXPECT_EQ(local.run(*image, kImage), out);  // the overload that allocates
  const std::string garbage = "not a model";
  EXPECT_THROW(LocalModel(bytes_of(garbage), LocalThreads{1, 1}), scalestudy::WorkloadError);
  EXPECT_THROW(LocalScript("def f(x):\n    return x +\n", LocalThreads{1, 1}),
               scalestudy::WorkloadError);
  EXPECT_THROW(LocalModel::from_file(models_dir() + "/absent.pt", LocalThreads{1, 1}),
               scalestudy::WorkloadError);
  LocalModel from_file = LocalModel::from_file(models_dir() + "/tiny_cnn.pt", LocalThreads{1, 1});
  std::vector<float> again(kClasses);
  from_file.run(*image, kImage, again);
  EXPECT_EQ(again, out);
}

}  // namespace
