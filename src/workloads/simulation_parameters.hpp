// The simulation's parameters (kernel, grid, coupling), read once into SimulationParameters.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::workloads {

/// What the simulation does with its field every couple_every steps.
enum class Coupling {
  Put,        ///< put a slice of the field as a tensor
  Inference,  ///< images made from the field through the inference workload's model and script
  Aggregate,  ///< the slice as a dataset appended to the coupling's list
  None,
};

struct SimulationParameters {
  std::string kernel_backend;
  std::size_t block_points = 32;  ///< weak scaling: points along each axis of a client's block
  std::size_t grid_points = 0;    ///< strong scaling: of the global grid (0: block_points)
  std::size_t couple_every = 10;
  Coupling coupling = Coupling::Put;
  std::size_t slice_planes = 1;

  /// Whether a coupling sends x-planes of the block (put, aggregate).
  bool sends_slices() const { return coupling == Coupling::Put || coupling == Coupling::Aggregate; }

  /// kernel_backend ... slice_planes, in --help order.
  static const std::vector<core::ParamSpec>& specs();
  /// The simulation parameters of a point.
  static SimulationParameters of(const core::Parameters& params);
};

}  // namespace scalestudy::workloads
