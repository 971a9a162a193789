// The table of built-in workloads, and what every workload checks before it runs.
#include "workloads/workload.hpp"

#include <string>

#include "core/error.hpp"
#include "workloads/aggregation.hpp"
#include "workloads/aggregation_parameters.hpp"
#include "workloads/inference.hpp"
#include "workloads/inference_parameters.hpp"
#include "workloads/loop_parameters.hpp"
#include "workloads/mpi_baseline.hpp"
#include "workloads/simulation.hpp"
#include "workloads/simulation_parameters.hpp"
#include "workloads/throughput.hpp"

namespace scalestudy::workloads {
namespace {

/// The database ranks a point's job will have, or 0 when only the job knows (colocated, with
/// client_nodes not given).
int database_ranks(const core::LayoutRequest& request) {
  if (request.deployment == core::Deployment::Standard) {
    return request.db_nodes * request.db_ranks_per_node;
  }
  return request.client_nodes * request.db_ranks_per_node;
}

}  // namespace

/// A workload made by the table.
template <class W>
std::unique_ptr<Workload> make() {
  return std::make_unique<W>();
}

const std::vector<WorkloadEntry>& workloads() {
  static const std::vector<WorkloadEntry> table = {
      {"throughput",
       "put/unpack of one tensor per client, as SmartSim-Scaling",
       &make<Throughput>,
       {&LoopParameters::specs}},
      {"mpi_baseline",
       "the same exchange over plain MPI_Send/MPI_Recv",
       &make<MpiBaseline>,
       {&LoopParameters::specs}},
      {"inference", "", &make<Inference>, {&LoopParameters::specs, &InferenceParameters::specs}},
      {"inference_baseline",
       "",
       &make<InferenceBaseline>,
       {&LoopParameters::specs, &InferenceParameters::specs}},
      {"simulation",
       "a 3-D heat stencil over the clients, coupled to the store every couple_every steps",
       &make<Simulation>,
       {&LoopParameters::specs, &SimulationParameters::specs, &InferenceParameters::specs}},
      {"aggregation",
       "producer clients put datasets and append them to a list per iteration, consumer ranks "
       "poll and fetch each list, as SmartSim-Scaling",
       &make<Aggregation>,
       {&LoopParameters::specs, &AggregationParameters::specs}},
  };
  return table;
}

const core::ParamSpec& workload_parameter() {
  static const core::TableChoice choice = [] {
    std::vector<core::TableChoice::Entry> entries;
    for (const auto& entry : workloads()) entries.push_back({entry.name, entry.summary});
    return core::TableChoice("workload", "What runs", "client loop to run", entries);
  }();
  return choice.spec();
}

void Workload::validate(const core::Parameters& params) const {
  const store::Backend& backend = store::find_backend(params.text("backend"));
  store::check_services(backend, needs(params).store, params.text("workload"));
  check(params);
  store::check_database_ranks(backend, database_ranks(core::layout_request(params)));
}

void Workload::run_consumer(WorkloadContext&) const {
  throw WorkloadError("this workload has no consumer ranks; set consumers: 0");
}

std::unique_ptr<Workload> make_workload(std::string_view name) {
  std::string known;
  for (const auto& entry : workloads()) {
    if (entry.name == name) return entry.make();
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw ConfigError("workload '" + std::string(name) + "' is not built into this scalestudy (" +
                    known + ")");
}

}  // namespace scalestudy::workloads
