// The inference workload's parameters (model, images, how the database serves the model), read
// once into InferenceParameters; the simulation's inference coupling uses them too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/parameters.hpp"
#include "store/model_runtime.hpp"

namespace scalestudy::workloads {

struct InferenceParameters {
  std::string model_path;     ///< the model file: a path, or a model traced into the build's models
  std::string script_path;    ///< the preprocessing script file
  bool full_pipeline = true;  ///< pipeline full (put, script, model, unpack), else model_only
  std::uint64_t batch_size = 1;
  std::uint64_t image_size = 224;
  store::ModelOptions model;            ///< how each database rank serves the model
  store::ModelRuntimeSettings threads;  ///< libtorch threads, on database ranks and in-process

  /// The shape of a point's images: batch_size x image_size x image_size x 3 (HWC).
  std::vector<std::uint64_t> image_dims() const { return {batch_size, image_size, image_size, 3}; }

  /// model ... max_queue_delay_us, in --help order.
  static const std::vector<core::ParamSpec>& specs();
  /// The inference parameters of a point.
  static InferenceParameters of(const core::Parameters& params);
};

}  // namespace scalestudy::workloads
