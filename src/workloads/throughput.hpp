// SmartSim-Scaling's throughput loop: put_tensor then unpack_tensor of one key per client.
#pragma once

#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Per iteration: put_tensor("throughput_rank_<client>", {1, tensor_bytes/4} float32) and
/// unpack_tensor of it into a separate buffer, each timed; the key is overwritten every
/// iteration as in the reference. With `baseline`, the raw MPI exchange follows in the same job.
class Throughput final : public Workload {
 public:
  void validate(const core::Parameters& params) const override;
  void run(WorkloadContext& context) const override;
};

}  // namespace scalestudy::workloads
