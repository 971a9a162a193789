// Raw MPI exchange loop with the database rank of the client's key.
#include "workloads/mpi_baseline.hpp"

#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/raw_exchange.hpp"

namespace scalestudy::workloads {

void validate_tensor_bytes(const core::Parameters& params) {
  const std::int64_t bytes = params.integer("tensor_bytes");
  if (bytes % 4 != 0) {
    throw ConfigError("tensor_bytes=" + std::to_string(bytes) +
                      " is not a whole number of float32 elements; use a multiple of 4 (e.g. " +
                      std::to_string(bytes / 4 * 4) + ")");
  }
}

void run_raw_loop(WorkloadContext& context, store::Store& store, std::string_view key,
                  const std::vector<float>& data, std::vector<float>& result) {
  const auto warmup = static_cast<std::size_t>(context.params.integer("warmup"));
  const std::size_t samples =
      warmup + static_cast<std::size_t>(context.params.integer("iterations"));
  const bool barrier_each = context.params.boolean("barrier_each_iteration");
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

void MpiBaseline::check(const core::Parameters& params) const { validate_tensor_bytes(params); }

void MpiBaseline::run(WorkloadContext& context) const {
  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  const double client_init = now() - t0;
  context.recorder.record(context.recorder.add("client_init", 1), 0, client_init);

  const auto values = static_cast<std::size_t>(context.params.integer("tensor_bytes") / 4);
  std::vector<float> data(values);
  std::iota(data.begin(), data.end(), 0.0F);
  std::vector<float> result(values);
  run_raw_loop(context, *store, "throughput_rank_" + std::to_string(context.client), data, result);
}

}  // namespace scalestudy::workloads
