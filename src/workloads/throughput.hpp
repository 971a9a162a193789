// SmartSim-Scaling's throughput loop: put_tensor then unpack_tensor of one key per client.
#pragma once

#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Per iteration: put_tensor("throughput_rank_<client>", {1, tensor_bytes/4} float32) and
/// unpack_tensor of it into a separate buffer, each timed; the key is overwritten every
/// iteration as in the reference. With `baseline`, the raw MPI exchange follows in the same job.
class Throughput final : public Workload {
 public:
  WorkloadNeeds needs(const core::Parameters&) const override {
    return {.store = {.tensors = true}};
  }
  void run(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

}  // namespace scalestudy::workloads
