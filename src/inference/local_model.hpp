// A TorchScript model or script run in-process on the calling thread: the inference_baseline
// workload's limit, and the reference the runtime's tests compare against. No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/tensor.hpp"

namespace scalestudy::inference {

/// libtorch threads for in-process calls. intra_op applies to the calling thread (set at each
/// call if it differs); inter_op is set once per process by the first user (libtorch cannot
/// resize it).
struct LocalThreads {
  int intra_op = 1;
  int inter_op = 1;
};

/// A TorchScript model run directly with libtorch (eval and inference mode).
class LocalModel {
 public:
  /// Loads serialized TorchScript. Throws WorkloadError with libtorch's message if it is not a
  /// model, or if the thread counts are not positive.
  LocalModel(std::span<const std::byte> torchscript, LocalThreads threads);

  /// Loads a TorchScript file (e.g. resnet18.pt). Throws WorkloadError.
  static LocalModel from_file(const std::string& path, LocalThreads threads);

  LocalModel(LocalModel&&) noexcept;
  LocalModel& operator=(LocalModel&&) noexcept;
  ~LocalModel();

  /// Runs forward on the float32 tensor `input` of shape `dims` (read in place) and copies its
  /// first output, which must be float32, into `output`. Returns that output's dims. Throws
  /// WorkloadError with libtorch's message, or when `input` does not hold dims' elements or
  /// `output` does not hold exactly the output's elements.
  std::vector<std::uint64_t> run(std::span<const float> input, store::Dims dims,
                                 std::span<float> output);

  /// As run, returning the first output in a new vector: for a first call that learns its size.
  std::vector<float> run(std::span<const float> input, store::Dims dims);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// TorchScript source (e.g. data_processing_script.txt) whose functions run directly.
class LocalScript {
 public:
  /// Compiles the source. Throws WorkloadError with the compiler's message.
  LocalScript(std::string_view source, LocalThreads threads);

  /// Compiles a TorchScript source file. Throws WorkloadError.
  static LocalScript from_file(const std::string& path, LocalThreads threads);

  LocalScript(LocalScript&&) noexcept;
  LocalScript& operator=(LocalScript&&) noexcept;
  ~LocalScript();

  /// Calls `function` on one float32 tensor and copies its first output as LocalModel::run does.
  /// Throws WorkloadError, also for a function the source lacks.
  std::vector<std::uint64_t> run(const std::string& function, std::span<const float> input,
                                 store::Dims dims, std::span<float> output);

  /// As run, returning the first output in a new vector.
  std::vector<float> run(const std::string& function, std::span<const float> input,
                         store::Dims dims);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scalestudy::inference
