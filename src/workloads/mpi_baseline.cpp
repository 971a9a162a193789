// Raw MPI exchange loop with the database rank of the client's key.
#include "workloads/mpi_baseline.hpp"

#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/raw_exchange.hpp"

namespace scalestudy::workloads {

void run_raw_loop(WorkloadContext& context, const LoopParameters& loop, store::Store& store,
                  std::string_view key, const std::vector<float>& data,
                  std::vector<float>& result) {
  const std::size_t warmup = loop.warmup;
  const std::size_t samples = loop.samples();
  const bool barrier_each = loop.barrier_each_iteration;
  const std::uint64_t bytes = data.size() * sizeof(float);
  auto& recorder = context.recorder;
  const int put_op = recorder.add("raw_put_tensor", samples, warmup, bytes);
  const int get_op = recorder.add("raw_unpack_tensor", samples, warmup, bytes);
  const int loop_op = recorder.add("raw_loop_time", 1);

  const int shard = store.shard_of(key);
  const int peer = context.layout.shard_ranks[static_cast<std::size_t>(shard)];
  store::control::RawExchange raw(context.backend_context.comm, peer, bytes);
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
  // loop_time covers the timed iterations only; warm-up ones are flagged samples instead.
  double loop_start = now();
  for (std::size_t i = 0; i < samples; ++i) {
    if (i == warmup) loop_start = now();
    if (barrier_each) core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
    double t0 = now();
    raw.put_like(data.data());
    double t1 = now();
    recorder.record(put_op, i, t1 - t0);
    t0 = now();
    raw.get_like(result.data());
    t1 = now();
    recorder.record(get_op, i, t1 - t0);
  }
  recorder.record(loop_op, 0, now() - loop_start);
}

void MpiBaseline::check(const core::Parameters& params) const {
  check_whole_floats(LoopParameters::of(params));
}

void MpiBaseline::run(WorkloadContext& context) const {
  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  const double client_init = now() - t0;
  context.recorder.record(context.recorder.add("client_init", 1), 0, client_init);

  const LoopParameters loop = LoopParameters::of(context.params);
  std::vector<float> data(loop.floats());
  std::iota(data.begin(), data.end(), 0.0F);
  std::vector<float> result(loop.floats());
  run_raw_loop(context, loop, *store, "throughput_rank_" + std::to_string(context.client), data,
               result);
}

}  // namespace scalestudy::workloads
