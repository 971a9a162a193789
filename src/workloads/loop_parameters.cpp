// The client loop's parameters and their typed view.
#include "workloads/loop_parameters.hpp"

#include <string>

#include "core/error.hpp"

namespace scalestudy::workloads {

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& LoopParameters::specs() {
  static const std::vector<ParamSpec> specs = {
      {"iterations", ParamType::Integer, "100", "Client loop", "timed iterations per client", {}, 1},
      {"warmup", ParamType::Integer, "1", "Client loop",
       "iterations run and recorded before the timed ones, flagged as warm-up in the results",
       {}, 0},
      {"tensor_bytes", ParamType::Bytes, "1KiB", "Client loop",
       "bytes per tensor (float32 elements: tensor_bytes/4); accepts 1024, 64KiB, 1MiB, 1MB"},
      {"barrier_each_iteration", ParamType::Boolean, "false", "Client loop",
       "MPI_Barrier over all clients before every iteration (untimed)"},
      {"verify", ParamType::Boolean, "false", "Client loop",
       "stamp every tensor put and compare every tensor read back; mismatches are recorded as "
       "failed operations"},
      {"baseline", ParamType::Boolean, "true", "Client loop",
       "after the store loop, run the limit it is measured against in the same job: "
       "throughput: the same exchange over plain MPI (raw_put_tensor, raw_unpack_tensor); "
       "inference: the same script and model in-process (local_run_script, local_run_model)"},
  };
  return specs;
}
// clang-format on

LoopParameters LoopParameters::of(const core::Parameters& params) {
  LoopParameters loop;
  loop.warmup = static_cast<std::size_t>(params.integer("warmup"));
  loop.iterations = static_cast<std::size_t>(params.integer("iterations"));
  loop.tensor_bytes = static_cast<std::uint64_t>(params.integer("tensor_bytes"));
  loop.barrier_each_iteration = params.boolean("barrier_each_iteration");
  loop.verify = params.boolean("verify");
  loop.baseline = params.boolean("baseline");
  return loop;
}

void check_whole_floats(const LoopParameters& loop) {
  const auto bytes = static_cast<std::int64_t>(loop.tensor_bytes);
  if (bytes % 4 != 0) {
    throw ConfigError("tensor_bytes=" + std::to_string(bytes) +
                      " is not a whole number of float32 elements; use a multiple of 4 (e.g. " +
                      std::to_string(bytes / 4 * 4) + ")");
  }
}

}  // namespace scalestudy::workloads
