// The coupled simulation: a 3-D heat stencil over the clients' Cartesian grid that hands its field
// to the store every couple_every steps.
#pragma once

#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// Client ranks own equal blocks of a global grid (weak: block_points^3 each; strong:
/// grid_points^3 divided over the process grid), start from the grid's slowest sine mode with
/// zero boundaries, and per time step exchange halos with their neighbours (halo_exchange) and
/// step the kernel_backend's stencil on client_threads threads (compute). Every couple_every
/// steps they reduce the field (diagnostics, which must stay finite: field_stats table) and
/// couple: copy the field out of the kernel (copy_field), then put slice_planes x-planes of it
/// (put_tensor), or put them as a dataset appended to the coupling's list (put_dataset,
/// append_to_list: SmartSim's aggregation pattern), or run the inference workload's model on
/// images made from it (put_tensor, run_script, run_model, unpack_tensor). Also timed: every whole
/// step (step), the timed steps (loop_time), and the start-up, from the launch to the first step
/// (startup).
class Simulation final : public Workload {
 public:
  /// What its coupling stores (nothing, tensors, datasets, or tensors and models), a kernel
  /// runtime when its kernel backend has one, and its own division of a fixed grid_points.
  WorkloadNeeds needs(const core::Parameters& params) const override;
  void run(WorkloadContext& context) const override;

 private:
  void check(const core::Parameters& params) const override;
};

}  // namespace scalestudy::workloads
