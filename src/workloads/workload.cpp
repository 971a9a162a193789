// The table of built-in workloads.
#include "workloads/workload.hpp"

#include <string>

#include "core/error.hpp"
#include "workloads/aggregation.hpp"
#include "workloads/inference.hpp"
#include "workloads/mpi_baseline.hpp"
#include "workloads/simulation.hpp"
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

const std::vector<WorkloadEntry>& workloads() {
  static const std::vector<WorkloadEntry> table = {
      {"throughput", [] { return std::unique_ptr<Workload>(new Throughput()); }},
      {"mpi_baseline", [] { return std::unique_ptr<Workload>(new MpiBaseline()); }},
      {"inference", [] { return std::unique_ptr<Workload>(new Inference()); }},
      {"inference_baseline", [] { return std::unique_ptr<Workload>(new InferenceBaseline()); }},
      {"simulation", [] { return std::unique_ptr<Workload>(new Simulation()); }},
      {"aggregation", [] { return std::unique_ptr<Workload>(new Aggregation()); }},
  };
  return table;
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
