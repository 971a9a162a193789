// The throughput loop of SmartSim-Scaling (cpp-throughput), with warm-up and verification.
#include "workloads/throughput.hpp"

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "core/mpi_check.hpp"
#include "workloads/loop_parameters.hpp"
#include "workloads/mpi_baseline.hpp"

namespace scalestudy::workloads {
namespace {

/// Makes every iteration's tensor distinct, so a stale read cannot pass verification.
void stamp(std::vector<float>& data, std::size_t iteration, int client) {
  if (data.empty()) return;
  data.front() = static_cast<float>(iteration);
  data.back() = static_cast<float>(client) + 0.25F;
}

}  // namespace

void Throughput::check(const core::Parameters& params) const {
  check_whole_floats(LoopParameters::of(params));
}

void Throughput::run(WorkloadContext& context) const {
  const LoopParameters loop = LoopParameters::of(context.params);
  auto& recorder = context.recorder;
  const std::size_t warmup = loop.warmup;
  const std::size_t samples = loop.samples();
  const bool barrier_each = loop.barrier_each_iteration;
  const bool verify = loop.verify;
  const std::uint64_t values = loop.floats();
  const std::uint64_t bytes = values * sizeof(float);

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  const double client_init = now() - t0;
  recorder.record(recorder.add("client_init", 1), 0, client_init);
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");

  std::vector<float> data(values);
  std::iota(data.begin(), data.end(), 0.0F);
  std::vector<float> result(values);
  const std::string key = "throughput_rank_" + std::to_string(context.client);
  const std::uint64_t put_dims[] = {1, values};
  const std::uint64_t unpack_dims[] = {values};
  const int put_op = recorder.add("put_tensor", samples, warmup, bytes);
  const int unpack_op = recorder.add("unpack_tensor", samples, warmup, bytes);
  const int loop_op = recorder.add("loop_time", 1);
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");

  // loop_time covers the timed iterations only; warm-up ones are flagged samples instead.
  double loop_start = now();
  for (std::size_t i = 0; i < samples; ++i) {
    if (i == warmup) loop_start = now();
    if (barrier_each) core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
    if (verify && bytes > 0) {
      stamp(data, i, context.client);
      std::memset(result.data(), 0xFF, bytes);
    }
    double start = now();
    store->put_tensor(key, data.data(), put_dims, store::DType::Float32);
    double end = now();
    recorder.record(put_op, i, end - start);
    start = now();
    store->unpack_tensor(key, result.data(), unpack_dims, store::DType::Float32);
    end = now();
    recorder.record(unpack_op, i, end - start);
    if (verify && bytes > 0 && std::memcmp(data.data(), result.data(), bytes) != 0) {
      recorder.fail(unpack_op, i);
    }
  }
  recorder.record(loop_op, 0, now() - loop_start);

  // Every backend's database ranks run the MPI progress loop that answers the raw exchange
  // (the redis backend's too, beside its redis-server), so the limit is measured in any job.
  if (loop.baseline) run_raw_loop(context, loop, *store, key, data, result);
}

}  // namespace scalestudy::workloads
