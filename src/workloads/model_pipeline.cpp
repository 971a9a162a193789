// Model and script set-up on the database ranks, and the timed database inference pipeline.
#include "workloads/model_pipeline.hpp"

#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "core/mpi_check.hpp"

namespace scalestudy::workloads {
namespace {

namespace fs = std::filesystem;

/// Whether this client loads the model for its shards: client 0 (standard, it reaches every
/// shard), or the first client of each node (colocated, it reaches its node's shards).
bool sets_model(const WorkloadContext& context) {
  const auto& layout = context.layout;
  if (layout.deployment == core::Deployment::Standard) return context.client == 0;
  const auto node_of_client = [&](int client) {
    return layout
        .ranks[static_cast<std::size_t>(layout.client_ranks[static_cast<std::size_t>(client)])]
        .node;
  };
  const int node = node_of_client(context.client);
  for (int c = 0; c < context.client; ++c) {
    if (node_of_client(c) == node) return false;
  }
  return true;
}

}  // namespace

void check_model_files(const InferenceParameters& inference) {
  for (const auto& [name, path] :
       {std::pair{"model", inference.model_path}, std::pair{"script", inference.script_path}}) {
    if (!fs::exists(path)) {
      throw ConfigError(std::string(name) + " file " + path +
                        " does not exist; the build traces resnet50, resnet18 and tiny_cnn into "
                        "build/models (scripts/setup), or give the path of a .pt file");
    }
  }
}

void check_database_models(const InferenceParameters& inference) {
#ifndef SCALESTUDY_HAVE_TORCH
  throw ConfigError(
      "this scalestudy was built without libtorch (libtorch-dev), so database "
      "ranks cannot run models; install it and rebuild (scripts/setup)");
#endif
  check_model_files(inference);
}

std::vector<float> make_images(const InferenceParameters& inference, int client) {
  const std::uint64_t side = inference.image_size;
  const std::uint64_t count = inference.batch_size * side * side * 3;
  std::vector<float> images(count);
  std::uint32_t state = 2463534242U + static_cast<std::uint32_t>(client) * 7919U;
  for (auto& value : images) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    value = static_cast<float>(state % 25500U) / 100.0F;
  }
  return images;
}

void set_up_models(WorkloadContext& context, const InferenceParameters& inference,
                   store::Store& store) {
  auto& recorder = context.recorder;
  if (sets_model(context)) {
    double start = now();
    store.set_model_from_file(kModelKey, inference.model_path, inference.model);
    recorder.record(recorder.add("set_model", 1), 0, now() - start);
    start = now();
    store.set_script_from_file(kScriptKey, inference.script_path);
    recorder.record(recorder.add("set_script", 1), 0, now() - start);
  }
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
  // As SmartSim-Scaling: 100 tries, 100 ms apart.
  if (!store.poll_model(kModelKey, 100, 100) || !store.poll_model(kScriptKey, 100, 100)) {
    throw WorkloadError("the model or script never appeared on the database ranks");
  }
}

ModelPipeline::ModelPipeline(store::Store& store, results::TimingRecorder& recorder, int client,
                             std::span<const float> images, std::vector<std::uint64_t> dims,
                             bool full, std::size_t samples, std::size_t warmup)
    : store_(store), recorder_(recorder), dims_(std::move(dims)), full_(full) {
  const std::string tag = "{inference_rank_" + std::to_string(client) + "}";
  input_ = {tag + ".input"};
  processed_ = {tag + ".processed"};
  output_ = {tag + ".output"};
  store_.put_tensor(input_.front(), images.data(), dims_, store::DType::Float32);
  store_.run_script(kScriptKey, "pre_process_3ch", input_, processed_);
  store_.run_model(kModelKey, processed_, output_);
  const store::Tensor first = store_.get_tensor(output_.front());
  if (first.dtype != store::DType::Float32) {
    throw WorkloadError("model output is " + std::string(store::dtype_name(first.dtype)) +
                        ", expected float32 scores");
  }
  score_dims_ = first.dims;
  scores_.resize(first.data.size() / sizeof(float));
  const std::uint64_t image_bytes = images.size() * sizeof(float);
  if (full_) put_op_ = recorder_.add("put_tensor", samples, warmup, image_bytes);
  if (full_) script_op_ = recorder_.add("run_script", samples, warmup);
  model_op_ = recorder_.add("run_model", samples, warmup);
  if (full_) unpack_op_ = recorder_.add("unpack_tensor", samples, warmup, first.data.size());
}

double ModelPipeline::run(std::span<const float> images, std::size_t sample) {
  const double begin = now();
  double start = begin;
  double end = start;
  if (full_) {
    store_.put_tensor(input_.front(), images.data(), dims_, store::DType::Float32);
    end = now();
    recorder_.record(put_op_, sample, end - start);
    start = now();
    store_.run_script(kScriptKey, "pre_process_3ch", input_, processed_);
    end = now();
    recorder_.record(script_op_, sample, end - start);
    start = now();
  }
  store_.run_model(kModelKey, processed_, output_);
  end = now();
  recorder_.record(model_op_, sample, end - start);
  if (full_) {
    start = now();
    store_.unpack_tensor(output_.front(), scores_.data(), score_dims_, store::DType::Float32);
    end = now();
    recorder_.record(unpack_op_, sample, end - start);
  }
  return end - begin;
}

}  // namespace scalestudy::workloads
