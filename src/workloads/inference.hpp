// SmartSim-Scaling's inference loop (put -> pre-process script -> model -> unpack), served by
// the database ranks, and its in-process baseline.
#pragma once

#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Per iteration: put_tensor of batch_size images (batch x image x image x 3 float32),
/// run_script pre_process_3ch, run_model, unpack_tensor of the scores, each timed. One client
/// per shard group sets the model and the script first (set_model, set_script); every client
/// polls for them, then runs one untimed inference (the first call can take seconds). With
/// `baseline`, the same script and model also run in-process after every iteration
/// (local_run_script, local_run_model): the limit, in the same job.
class Inference final : public Workload {
 public:
  WorkloadNeeds needs(const core::Parameters& params) const override;
  void run(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

/// The limit alone: connects (so the job's shape is the same), then runs the script and the
/// model in-process, recorded as run_script and run_model.
class InferenceBaseline final : public Workload {
 public:
  /// Only a connection, so that the job has the same shape as the inference workload's.
  WorkloadNeeds needs(const core::Parameters&) const override { return {}; }
  void run(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

}  // namespace scalestudy::workloads
