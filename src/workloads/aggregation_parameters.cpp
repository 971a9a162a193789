// The aggregation workload's parameters and their typed view.
#include "workloads/aggregation_parameters.hpp"

namespace scalestudy::workloads {

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& AggregationParameters::specs() {
  static const std::vector<ParamSpec> specs = {
      {"tensors_per_dataset", ParamType::Integer, "4", "Data aggregation",
       "aggregation: tensors of tensor_bytes (float32, {1, tensor_bytes/4}) in each producer's "
       "dataset", {}, 1, 4096},
      {"consumer_language", ParamType::Choice, "cpp", "Data aggregation",
       "aggregation: what the consumer ranks run: cpp (scalestudy-rank) or python (python3 -m "
       "scalestudy.consumer through mpi4py, launched as the consumer part of an MPMD mpirun)",
       {"cpp", "python"}},
      {"poll_interval_ms", ParamType::Integer, "0", "Data aggregation",
       "aggregation: consumer rank 0 polls the list length this often (0: SmartSim-Scaling's, "
       "5 ms for the C++ consumer on a database, 50 ms for the Python consumer or the fs "
       "backend)", {}, 0},
      {"poll_tries", ParamType::Integer, "100000", "Data aggregation",
       "aggregation: polls before the consumer gives up on a list", {}, 1},
      {"producer_poll_ms", ParamType::Integer, "1000", "Data aggregation",
       "aggregation: producer rank 0 sleeps this long between checks that the previous "
       "iteration's list was consumed (SmartSim-Scaling: 1000)", {}, 0},
      {"put_each_iteration", ParamType::Boolean, "true", "Data aggregation",
       "aggregation: producers put their dataset every iteration (SmartSim-Scaling's Python "
       "study) rather than once before the loop (its C++ and file-system studies)"},
  };
  return specs;
}
// clang-format on

AggregationParameters AggregationParameters::of(const core::Parameters& params) {
  AggregationParameters p;
  p.tensors_per_dataset = static_cast<std::size_t>(params.integer("tensors_per_dataset"));
  p.python_consumer = params.text("consumer_language") == "python";
  p.poll_interval_ms = static_cast<int>(params.integer("poll_interval_ms"));
  p.poll_tries = static_cast<int>(params.integer("poll_tries"));
  p.producer_poll = std::chrono::milliseconds(params.integer("producer_poll_ms"));
  p.put_each_iteration = params.boolean("put_each_iteration");
  return p;
}

}  // namespace scalestudy::workloads
