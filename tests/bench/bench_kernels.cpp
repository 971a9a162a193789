// Micro-benchmarks of the compute kernels over sizes, backends and threads, beside memcpy of the
// same sizes on the same threads, so one run gives each kernel's fraction of copy bandwidth.
// Run: build/bench/bench_kernels --benchmark_format=json
//
// bytes_per_second counts the bytes a kernel must read plus those it must write, once each (the
// STREAM convention): memcpy of N bytes moves 2N; a stencil step on n^3 points moves 16 n^3
// (read u, write u_new; neighbours come from cache); normalisation reads 1 (uint8) or 4 (float)
// and writes 4 bytes per value; the reduction reads 8 bytes per value.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "kernels/runtime.hpp"

namespace {

namespace kernels = scalestudy::kernels;

// Short by default, so the whole set runs in well under a minute. Passed as a default flag (not
// MinTime(), which would override the command line) so that --benchmark_min_time still works.
constexpr const char* kDefaultMinTime = "--benchmark_min_time=0.05";

const std::size_t kStencilSides[] = {32, 64, 128, 256};  // 256 KiB .. 128 MiB per field
const std::size_t kReduceValues[] = {32768, 262144, 2097152, 16777216};  // the same bytes
const std::size_t kImageBatches[] = {1, 8, 32};                          // of 224 x 224 x 3

kernels::ImageDims images(std::size_t batch) { return {batch, 224, 224, 3}; }

void report_bandwidth(benchmark::State& state, double bytes_per_iteration, int threads) {
  state.counters["bytes_per_second"] = benchmark::Counter(
      bytes_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

// Each thread copies (and first touches) its own contiguous share, as the kernels' static
// schedules do.
void parallel_copy(char* to, const char* from, std::size_t bytes, int threads) {
#pragma omp parallel num_threads(threads)
  {
    const auto share = bytes / static_cast<std::size_t>(omp_get_num_threads());
    const auto begin = share * static_cast<std::size_t>(omp_get_thread_num());
    const auto end = omp_get_thread_num() == omp_get_num_threads() - 1 ? bytes : begin + share;
    std::memcpy(to + begin, from + begin, end - begin);
  }
}

void bm_memcpy(benchmark::State& state, std::size_t bytes, int threads) {
  const auto from = std::make_unique_for_overwrite<char[]>(bytes);
  const auto to = std::make_unique_for_overwrite<char[]>(bytes);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t i = 0; i < bytes; ++i) from[i] = static_cast<char>(i);
  parallel_copy(to.get(), from.get(), bytes, threads);
  for (auto _ : state) {
    parallel_copy(to.get(), from.get(), bytes, threads);
    benchmark::ClobberMemory();
  }
  report_bandwidth(state, 2.0 * static_cast<double>(bytes), threads);
}

void bm_stencil(benchmark::State& state, std::string backend_name, std::size_t side, int threads) {
  try {
    const auto backend = kernels::make_backend(backend_name, threads);
    kernels::HeatParams params;
    params.interior = {side, side, side};
    params.dt = 0.1;  // r = 0.1 with alpha = h = 1
    const auto stencil = backend->make_heat_stencil(params);
    // Boundaries at 1 over a zero interior: the field tends to 1, never into subnormals.
    for (kernels::Face face : kernels::kFaces) stencil->set_boundary(face, 1.0);
    for (auto _ : state) stencil->step();
    const double points = static_cast<double>(params.interior.points());
    report_bandwidth(state, 16.0 * points, backend->threads());
    state.counters["lattice_updates_per_second"] = benchmark::Counter(
        points * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

template <class T>
void bm_normalize(benchmark::State& state, std::string backend_name, std::size_t batch,
                  int threads) {
  try {
    const auto backend = kernels::make_backend(backend_name, threads);
    const kernels::ImageDims dims = images(batch);
    std::vector<T> hwc(dims.values());
    std::mt19937 engine(1);
    for (T& v : hwc) v = static_cast<T>(engine() % 256);
    std::vector<float> nchw(dims.values());
    for (auto _ : state) {
      backend->normalize_images(std::span<const T>(hwc), dims, nchw);
      benchmark::DoNotOptimize(nchw.data());
      benchmark::ClobberMemory();
    }
    report_bandwidth(state, static_cast<double>(dims.values() * (sizeof(T) + sizeof(float))),
                     backend->threads());
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

void bm_reduce(benchmark::State& state, std::string backend_name, std::size_t count, int threads) {
  try {
    const auto backend = kernels::make_backend(backend_name, threads);
    std::vector<double> values(count);
    std::mt19937_64 engine(2);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (double& v : values) v = dist(engine);
    for (auto _ : state) benchmark::DoNotOptimize(backend->reduce(values));
    report_bandwidth(state, 8.0 * static_cast<double>(count), backend->threads());
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

void configure(benchmark::internal::Benchmark* benchmark) {
  benchmark->UseRealTime()->Unit(benchmark::kMicrosecond);
}

// 1, 2, 4, ... up to the processors this process may use.
std::vector<int> thread_counts() {
  std::vector<int> counts;
  for (int t = 1; t <= omp_get_num_procs(); t *= 2) counts.push_back(t);
  return counts;
}

void register_all() {
  const auto ns = [](const std::string& key, std::size_t value) {
    return "/" + key + ":" + std::to_string(value);
  };
  const auto ts = [](int threads) { return "/threads:" + std::to_string(threads); };

  std::vector<std::size_t> copy_sizes;
  for (std::size_t side : kStencilSides) copy_sizes.push_back(side * side * side * sizeof(double));
  for (std::size_t batch : kImageBatches) copy_sizes.push_back(images(batch).values() * 4);
  for (std::size_t bytes : copy_sizes) {
    for (int t : thread_counts()) {
      configure(benchmark::RegisterBenchmark(("memcpy" + ns("bytes", bytes) + ts(t)).c_str(),
                                             bm_memcpy, bytes, t));
    }
  }

  for (const std::string& name : kernels::available_backends()) {
    // Kokkos's threads are fixed when it starts: measure it on those only.
    const auto backend = kernels::make_backend(name);
    benchmark::AddCustomContext("kernels." + name,
                                backend->version() + " on " + backend->execution_space());
    const std::vector<int> threads =
        name == "openmp" ? thread_counts() : std::vector<int>{backend->threads()};
    for (int t : threads) {
      for (std::size_t side : kStencilSides) {
        configure(benchmark::RegisterBenchmark(("stencil/" + name + ns("n", side) + ts(t)).c_str(),
                                               bm_stencil, name, side, t));
      }
      for (std::size_t batch : kImageBatches) {
        configure(benchmark::RegisterBenchmark(
            ("normalize_u8/" + name + ns("batch", batch) + ts(t)).c_str(),
            bm_normalize<std::uint8_t>, name, batch, t));
        configure(benchmark::RegisterBenchmark(
            ("normalize_f32/" + name + ns("batch", batch) + ts(t)).c_str(), bm_normalize<float>,
            name, batch, t));
      }
      for (std::size_t count : kReduceValues) {
        configure(benchmark::RegisterBenchmark(
            ("reduce/" + name + ns("values", count) + ts(t)).c_str(), bm_reduce, name, count, t));
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const kernels::Runtime runtime;  // Kokkos on OMP_NUM_THREADS, for the whole run
  register_all();
  // The default goes first: a --benchmark_min_time given by the user comes later and wins.
  std::vector<char*> args(argv, argv + argc);
  args.insert(args.begin() + 1, const_cast<char*>(kDefaultMinTime));
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
