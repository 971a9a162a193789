// The physical limit: the throughput loop's message sizes over plain MPI_Send/MPI_Recv.
#pragma once

#include <vector>

#include "store/store.hpp"
#include "workloads/loop_parameters.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Only the raw exchange (raw_put_tensor, raw_unpack_tensor), against the database rank that
/// holds the client's throughput key.
class MpiBaseline final : public Workload {
 public:
  /// The raw exchange measures raw MPI between ranks: the limit of a backend whose data moves
  /// over MPI.
  WorkloadNeeds needs(const core::Parameters&) const override {
    return {.store = {.mpi_data = true}};
  }
  void run(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

/// Times `loop`'s warmup + iterations raw exchanges of `data.size()` floats with the database
/// rank that holds `key`, recording raw_put_tensor, raw_unpack_tensor and raw_loop_time.
void run_raw_loop(WorkloadContext& context, const LoopParameters& loop, store::Store& store,
                  std::string_view key, const std::vector<float>& data, std::vector<float>& result);

}  // namespace scalestudy::workloads
