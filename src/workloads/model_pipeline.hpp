// Inference on the database that workloads share: the checks, loading the model and script once
// per shard group, and SmartSim-Scaling's timed put -> script -> model -> unpack pipeline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "workloads/inference_parameters.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::workloads {

/// The keys the model and the script are stored under (SmartSim-Scaling's names).
inline constexpr const char* kModelKey = "resnet_model";
inline constexpr const char* kScriptKey = "resnet_script";

/// Refuses a point whose database ranks cannot run its models: a build without libtorch, or a
/// missing model or script file. (Whether its backend serves models is the workload's needs.)
/// Throws ConfigError saying what to change.
void check_database_models(const InferenceParameters& inference);

/// Refuses a missing model or script file (ConfigError); also for in-process inference.
void check_model_files(const InferenceParameters& inference);

/// Images of `inference`'s shape as SmartSim-Scaling makes them (synthetic values in
/// [0, 255)), distinct per client.
std::vector<float> make_images(const InferenceParameters& inference, int client);

/// One client per shard group (client 0 when standard, the first client of each node when
/// colocated) loads the point's model and script, timed as set_model and set_script; then every
/// client polls until both are there. Collective over context.clients. Throws StoreError, or
/// WorkloadError when they never appear.
void set_up_models(WorkloadContext& context, const InferenceParameters& inference,
                   store::Store& store);

/// The database path of one client's inference: put_tensor of the images, run_script
/// pre_process_3ch, run_model, unpack_tensor of the scores, each timed into the recorder. Keys
/// share a hash tag, so the script and the model run on the shard that holds the images.
class ModelPipeline {
 public:
  /// Runs one untimed inference of `images` (the first call can take seconds; it also learns
  /// the size of the scores), then registers put_tensor, run_script, run_model and
  /// unpack_tensor (only run_model unless `full`: the inputs stay stored, as a model server's
  /// load generator sends them) with `samples` samples, the first `warmup` flagged. The models
  /// must be set up. Throws StoreError, or WorkloadError for scores that are not float32.
  ModelPipeline(store::Store& store, results::TimingRecorder& recorder, int client,
                std::span<const float> images, std::vector<std::uint64_t> dims, bool full,
                std::size_t samples, std::size_t warmup);

  /// One timed inference of `images` (the constructor's shape) as sample `sample`; returns its
  /// duration, from the start of the put to the end of the unpack. Throws StoreError.
  double run(std::span<const float> images, std::size_t sample);

  /// The scores of the last inference.
  std::span<const float> scores() const { return scores_; }

 private:
  store::Store& store_;
  results::TimingRecorder& recorder_;
  std::vector<std::uint64_t> dims_;
  std::vector<std::uint64_t> score_dims_;
  bool full_;
  std::vector<std::string> input_;
  std::vector<std::string> processed_;
  std::vector<std::string> output_;
  std::vector<float> scores_;
  int put_op_ = -1;
  int script_op_ = -1;
  int model_op_ = -1;
  int unpack_op_ = -1;
};

}  // namespace scalestudy::workloads
