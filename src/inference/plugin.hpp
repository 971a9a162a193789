// The boundary between the programs and libtorch. Everything that includes torch is built into
// libscalestudy_torch.so, which a program loads on first use: ranks of points that run no model
// never load libtorch (some 290 shared libraries and their static initialisers: about 0.5 s per
// rank on a workstation, more from a parallel file system at scale). This header has no torch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inference/local_model.hpp"
#include "store/model_runtime.hpp"

namespace scalestudy::inference {

/// A TorchScript model, or one function of a TorchScript script, run in-process on the calling
/// thread (LocalModel, LocalScript): the inference workload's in-process limit.
class InProcessFunction {
 public:
  virtual ~InProcessFunction() = default;
  /// Runs on the float32 `input` of shape `dims` and copies the first output into `output`,
  /// which must hold exactly its elements; returns its dims. Throws WorkloadError.
  virtual std::vector<std::uint64_t> run(std::span<const float> input, store::Dims dims,
                                         std::span<float> output) = 0;
  /// As run, returning the first output in a new vector (a first call that learns its size).
  virtual std::vector<float> run(std::span<const float> input, store::Dims dims) = 0;
};

/// What the plugin provides, through its one exported C function kTorchPluginEntry.
struct TorchPlugin {
  int version = 0;  ///< kTorchPluginVersion of the plugin's build
  /// inference::make_torch_runtime (torch_runtime.hpp).
  std::unique_ptr<store::ModelRuntime> (*make_runtime)(const store::ModelRuntimeSettings&);
  /// A TorchScript model file (e.g. resnet18.pt). Throws WorkloadError.
  std::unique_ptr<InProcessFunction> (*load_model)(const std::string& path, LocalThreads threads);
  /// Function `function` of a TorchScript source file. Throws WorkloadError.
  std::unique_ptr<InProcessFunction> (*load_script)(const std::string& path,
                                                    const std::string& function,
                                                    LocalThreads threads);
};

/// Bumped whenever TorchPlugin or InProcessFunction changes.
inline constexpr int kTorchPluginVersion = 1;
/// extern "C" const TorchPlugin* scalestudy_torch_plugin(): the plugin's entry point.
inline constexpr const char* kTorchPluginEntry = "scalestudy_torch_plugin";

/// The plugin, loaded on the first call (thread-safe) from $SCALESTUDY_TORCH_PLUGIN if set,
/// else beside libscalestudy_files.so (core::torch_plugin_path). Throws WorkloadError (on the
/// ranks that need it, not all: the job is aborted) naming the paths tried and what to do.
const TorchPlugin& torch_plugin();

}  // namespace scalestudy::inference
