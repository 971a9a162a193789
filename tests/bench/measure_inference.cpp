// A micro-measurement of the model runtime, run by hand and reported, never asserted (the
// assertions on the runtime are tests/unit/test_inference_runtime.cpp's): TorchRuntime versus
// LocalModel on ResNet-18, and dynamic batching versus none with closed-loop batch-1 clients.
//
//   bench/measure_inference [--models DIR] [--repeats N] [--seconds S] [--delay-us D]
//                                [--intra N] [--clients N] [--iterations N] [--block N] [--poll-us
//                                N]
//                                [--only resnet|batching]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "inference/local_model.hpp"
#include "inference/torch_runtime.hpp"

namespace {

namespace store = scalestudy::store;
using scalestudy::inference::LocalModel;
using scalestudy::inference::LocalThreads;
using scalestudy::inference::make_torch_runtime;
using scalestudy::store::steady_seconds;

struct Options {
  std::string models = std::getenv("SCALESTUDY_MODELS_DIR") ? std::getenv("SCALESTUDY_MODELS_DIR")
                                                            : SCALESTUDY_TEST_MODELS_DIR;
  int repeats = 3;
  double seconds = 3;
  int delay_us = 1000;
  int intra = 2;
  int clients = 4;
  int resnet_iterations = 20;
  int block = 5;     // consecutive calls on one side before switching
  int poll_us = 20;  // how long the polling thread sleeps when take_results has nothing
  std::string only;
};

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(1);
  }
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::shared_ptr<std::vector<float>> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  auto values = std::make_shared<std::vector<float>>(n);
  for (float& v : *values) v = uniform(engine);
  return values;
}

store::InputTensor input_of(const std::shared_ptr<std::vector<float>>& values,
                            const std::vector<std::uint64_t>& dims) {
  store::InputTensor input;
  input.dims = dims;
  input.data = reinterpret_cast<const std::byte*>(values->data());
  input.bytes = values->size() * sizeof(float);
  input.owner = values;
  return input;
}

// ResNet-18, batch 8: seconds per call in-process and through the runtime (one job at a time).
void measure_resnet(const Options& options) {
  const std::string bytes = read_file(options.models + "/resnet18.pt");
  const auto model = std::as_bytes(std::span(bytes));
  const std::vector<std::uint64_t> dims = {8, 3, 224, 224};
  const auto input = random_floats(8 * 3 * 224 * 224, 1);
  std::vector<float> output(8 * 1000);
  LocalModel local(model, LocalThreads{options.intra, 1});
  auto runtime = make_torch_runtime({options.intra, 1});
  runtime->set_model("resnet18", model, {});
  std::uint64_t ticket = 0;
  // Returns the runtime's own queue and compute seconds of the call.
  const auto through_runtime = [&] {
    runtime->submit({ticket++, false, "resnet18", "", {input_of(input, dims)}, 0});
    std::vector<store::JobResult> results;
    while (results.empty()) {
      runtime->take_results(results);
      if (results.empty()) std::this_thread::sleep_for(std::chrono::microseconds(options.poll_us));
    }
    if (!results[0].error.empty()) std::fprintf(stderr, "%s\n", results[0].error.c_str());
    return std::pair(results[0].queue_s, results[0].compute_s);
  };
  const auto in_process = [&] { local.run(*input, dims, output); };
  for (int i = 0; i < 3; ++i) {
    in_process();
    through_runtime();
  }
  // The machine is shared: the two sides alternate in blocks so that a burst of load elsewhere
  // hits both; means, medians and minima (the least disturbed call) are reported.
  std::printf(
      "resnet18 batch 8, %d intra-op threads, %d calls each per repeat (ms per call; "
      "ratio = runtime throughput / in-process)\n",
      options.intra, options.resnet_iterations);
  std::printf("%6s %9s %9s %9s %9s %8s %8s %8s %9s %9s\n", "repeat", "local", "runtime",
              "local_min", "rt_min", "ratio", "ratio_md", "ratio_mn", "rt_queue", "rt_comp");
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (const double t : v) sum += t;
    return sum / static_cast<double>(v.size());
  };
  const auto least = [](const std::vector<double>& v) {
    return *std::min_element(v.begin(), v.end());
  };
  for (int r = 0; r < options.repeats; ++r) {
    std::vector<double> local_s, runtime_s, queue_s, compute_s;
    // Blocks of `block` calls, in alternating order; the first call of a block is not counted
    // (the other side's OpenMP team may still be spinning on the cores then).
    for (int i = 0; i < options.resnet_iterations; i += options.block) {
      for (int side = 0; side < 2; ++side) {
        const bool local_turn = (side == 0) == (i / options.block % 2 == 0);
        for (int k = 0; k <= options.block; ++k) {
          const double start = steady_seconds();
          if (local_turn) {
            in_process();
          } else {
            const auto [queued, computed] = through_runtime();
            if (k > 0) queue_s.push_back(queued);
            if (k > 0) compute_s.push_back(computed);
          }
          if (k > 0) (local_turn ? local_s : runtime_s).push_back(steady_seconds() - start);
        }
      }
    }
    std::printf("%6d %9.2f %9.2f %9.2f %9.2f %8.3f %8.3f %8.3f %9.3f %9.2f\n", r,
                mean(local_s) * 1e3, mean(runtime_s) * 1e3, least(local_s) * 1e3,
                least(runtime_s) * 1e3, mean(local_s) / mean(runtime_s),
                median(local_s) / median(runtime_s), least(local_s) / least(runtime_s),
                mean(queue_s) * 1e3, mean(compute_s) * 1e3);
    std::fflush(stdout);
  }
}

// Closed-loop clients: each sends a batch-1 tiny_cnn request, waits for its answer, sends the
// next. A dispatcher thread plays the database rank's progress thread (take_results, sleeping
// --poll-us when there is nothing).
void measure_batching(const Options& options, int max_batch_size, int delay_us) {
  const std::string bytes = read_file(options.models + "/tiny_cnn.pt");
  auto runtime = make_torch_runtime({1, 1});
  runtime->set_model("tiny", std::as_bytes(std::span(bytes)), {1, 1, max_batch_size, delay_us});
  const std::vector<std::uint64_t> dims = {1, 3, 32, 32};
  const auto clients = static_cast<std::size_t>(options.clients);
  std::vector<std::shared_ptr<std::vector<float>>> inputs;
  for (std::size_t c = 0; c < clients; ++c) {
    inputs.push_back(random_floats(3 * 32 * 32, 10 + static_cast<unsigned>(c)));
  }
  struct Slot {
    std::mutex mutex;
    std::condition_variable ready;
    bool done = false;
  };
  std::vector<Slot> slots(clients);
  std::atomic<bool> stop{false};
  std::mutex stats_mutex;
  double queue_sum = 0, compute_sum = 0, latency_sum = 0, rows_sum = 0;
  std::size_t count = 0;
  std::thread dispatcher([&] {
    std::vector<store::JobResult> results;
    while (!stop.load() || runtime->pending() > 0) {
      runtime->take_results(results);
      if (results.empty()) {
        std::this_thread::sleep_for(std::chrono::microseconds(options.poll_us));
        continue;
      }
      {
        const std::lock_guard lock(stats_mutex);
        for (const store::JobResult& r : results) {
          if (!r.error.empty()) std::fprintf(stderr, "%s\n", r.error.c_str());
          queue_sum += r.queue_s;
          compute_sum += r.compute_s;
          rows_sum += r.batch_size;
          ++count;
        }
      }
      for (const store::JobResult& r : results) {
        Slot& slot = slots[r.ticket % clients];
        {
          const std::lock_guard lock(slot.mutex);
          slot.done = true;
        }
        slot.ready.notify_one();
      }
      results.clear();
    }
  });
  // Warm up (the first calls profile the graph), then count for `seconds`.
  for (int i = 0; i < 5; ++i) {
    runtime->submit({0, false, "tiny", "", {input_of(inputs[0], dims)}, 0});
    std::unique_lock lock(slots[0].mutex);
    slots[0].ready.wait(lock, [&] { return slots[0].done; });
    slots[0].done = false;
  }
  {
    const std::lock_guard lock(stats_mutex);
    queue_sum = compute_sum = rows_sum = 0;
    count = 0;
  }
  const double start = steady_seconds();
  const double end = start + options.seconds;
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::uint64_t k = 0;
      double latency = 0;
      while (steady_seconds() < end) {
        const double sent = steady_seconds();
        runtime->submit({k++ * clients + c, false, "tiny", "", {input_of(inputs[c], dims)}, 0});
        std::unique_lock lock(slots[c].mutex);
        slots[c].ready.wait(lock, [&] { return slots[c].done; });
        slots[c].done = false;
        latency += steady_seconds() - sent;
      }
      const std::lock_guard lock(stats_mutex);
      latency_sum += latency;
    });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = steady_seconds() - start;
  stop = true;
  dispatcher.join();
  const auto n = static_cast<double>(count);
  std::printf("%6d %8d %10.0f %10.1f %10.1f %10.1f %8.2f\n", max_batch_size, delay_us, n / elapsed,
              latency_sum / n * 1e6, queue_sum / n * 1e6, compute_sum / n * 1e6, rows_sum / n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const std::map<std::string, int*> integers = {{"--repeats", &options.repeats},
                                                {"--delay-us", &options.delay_us},
                                                {"--intra", &options.intra},
                                                {"--clients", &options.clients},
                                                {"--iterations", &options.resnet_iterations},
                                                {"--block", &options.block},
                                                {"--poll-us", &options.poll_us}};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (const auto found = integers.find(flag); found != integers.end()) {
      *found->second = std::stoi(value);
    } else if (flag == "--seconds") {
      options.seconds = std::stod(value);
    } else if (flag == "--models") {
      options.models = value;
    } else if (flag == "--only") {
      options.only = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  if (options.only.empty() || options.only == "resnet") measure_resnet(options);
  if (options.only.empty() || options.only == "batching") {
    std::printf("tiny_cnn, %d closed-loop clients at batch 1, 1 intra-op thread, %.0f s per run\n",
                options.clients, options.seconds);
    std::printf("%6s %8s %10s %10s %10s %10s %8s\n", "max_bs", "delay_us", "req/s", "lat_us",
                "queue_us", "compute_us", "rows");
    for (int r = 0; r < options.repeats; ++r) {
      measure_batching(options, 0, 0);
      measure_batching(options, 4, options.delay_us);
    }
  }
  return 0;
}
