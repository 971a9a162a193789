// SmartSim-Scaling's data aggregation: producer clients put datasets and append them to one
// list per iteration; consumer ranks poll each list's length, fetch every dataset, delete it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "store/dataset.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Producers (clients): dataset "aggregation_rank_<client>" of tensors_per_dataset float32
/// tensors "tensor_<j>" of {1, tensor_bytes/4}; per iteration i (warm-up first): producer 0
/// waits until list "iteration_<i-1>" is empty (sleeping producer_poll_ms), a barrier, then
/// put_dataset (every iteration, or once before the loop) and append_to_list("iteration_<i>").
/// Consumers: consumer 0 polls the list until it names every producer's dataset (poll_list,
/// timed before the barrier, as SmartSim-Scaling's C++ consumer), a barrier, then every
/// consumer fetches the whole list (get_list), a barrier, and consumer 0 deletes the list: the
/// producers' signal for the next iteration.
class Aggregation final : public Workload {
 public:
  WorkloadNeeds needs(const core::Parameters&) const override {
    return {.store = {.datasets = true}, .consumers = true};
  }
  void run(WorkloadContext& context) const override;
  void run_consumer(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

/// The consumer's poll interval: poll_interval_ms, else SmartSim-Scaling's (50 ms for the
/// Python consumer, else the backend's list_poll_ms: 5 ms for a database, 50 ms for files).
int poll_interval_ms(const core::Parameters& params);

/// Name of the list of iteration `iteration`: "iteration_<i>".
std::string aggregation_list(std::size_t iteration);

/// Checks the datasets a consumer fetched at `iteration` against what `producers` producers put
/// (every producer's dataset once, its tensors' names, shapes and every byte). Returns "" or
/// what differs.
std::string check_aggregation(const core::Parameters& params, int producers, std::size_t iteration,
                              const std::vector<store::DataSet>& datasets);

}  // namespace scalestudy::workloads
