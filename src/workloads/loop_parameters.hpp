// The parameters every client loop shares (iterations, warm-up, tensor size, checks), declared
// once, read once into LoopParameters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::workloads {

struct LoopParameters {
  std::size_t warmup = 0;      ///< iterations run and recorded first, flagged as warm-up
  std::size_t iterations = 0;  ///< timed iterations
  std::uint64_t tensor_bytes = 0;
  bool barrier_each_iteration = false;
  bool verify = false;
  bool baseline = false;  ///< run the limit the store loop is measured against, in the same job

  /// Warm-up and timed iterations: the samples of a per-iteration operation.
  std::size_t samples() const { return warmup + iterations; }
  /// float32 elements of a tensor of tensor_bytes.
  std::uint64_t floats() const { return tensor_bytes / sizeof(float); }

  /// iterations, warmup, tensor_bytes, barrier_each_iteration, verify, baseline, in --help order.
  static const std::vector<core::ParamSpec>& specs();
  /// The loop's parameters of a point.
  static LoopParameters of(const core::Parameters& params);
};

/// Refuses a tensor_bytes that is not whole float32 elements (a multiple of 4). Throws
/// ConfigError saying what to use.
void check_whole_floats(const LoopParameters& loop);

}  // namespace scalestudy::workloads
