// The inference workload and its in-process baseline.
#include "workloads/inference.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_check.hpp"

#ifdef SCALESTUDY_HAVE_TORCH
#include "inference/local_model.hpp"
#endif

namespace scalestudy::workloads {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelKey = "resnet_model";
constexpr const char* kScriptKey = "resnet_script";

/// Images as SmartSim-Scaling makes them (synthetic values in [0, 255)), distinct per client.
std::vector<float> make_images(const core::Parameters& params, int client) {
  const auto side = static_cast<std::uint64_t>(params.integer("image_size"));
  const auto count = static_cast<std::uint64_t>(params.integer("batch_size")) * side * side * 3;
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

std::vector<std::uint64_t> image_dims(const core::Parameters& params) {
  const auto side = static_cast<std::uint64_t>(params.integer("image_size"));
  return {static_cast<std::uint64_t>(params.integer("batch_size")), side, side, 3};
}

/// Whether this client loads the model for its shards: client 0 (standard, it reaches every
/// shard), or the first client of each node (colocated, it reaches its node's shards).
bool sets_model(const WorkloadContext& context) {
  const auto& layout = context.layout;
  if (layout.deployment == core::Deployment::Standard) return context.client == 0;
  const int node = layout
                       .ranks[static_cast<std::size_t>(
                           layout.client_ranks[static_cast<std::size_t>(context.client)])]
                       .node;
  for (int c = 0; c < context.client; ++c) {
    if (layout.ranks[static_cast<std::size_t>(layout.client_ranks[static_cast<std::size_t>(c)])]
            .node == node) {
      return false;
    }
  }
  return true;
}

void check_inference_parameters(const core::Parameters& params) {
  for (const auto& [name, path] :
       {std::pair{"model", model_path(params)}, std::pair{"script", script_path(params)}}) {
    if (!fs::exists(path)) {
      throw ConfigError(std::string(name) + " file " + path +
                        " does not exist; the build traces resnet50, resnet18 and tiny_cnn into "
                        "build/models (scripts/setup), or give the path of a .pt file");
    }
  }
}

#ifdef SCALESTUDY_HAVE_TORCH
/// The limit: the same script and model on the same images, in-process on this client, timed
/// as `<prefix>run_script`, `<prefix>run_model` and `<prefix>loop_time` (the timed iterations).
class LocalInference {
 public:
  LocalInference(WorkloadContext& context, const std::string& prefix)
      : recorder_(context.recorder),
        threads_{static_cast<int>(context.params.integer("intra_op_threads")),
                 static_cast<int>(context.params.integer("inter_op_threads"))},
        script_(inference::LocalScript::from_file(script_path(context.params), threads_)),
        model_(inference::LocalModel::from_file(model_path(context.params), threads_)),
        images_(make_images(context.params, context.client)),
        dims_(image_dims(context.params)),
        processed_(images_.size()),
        processed_dims_{dims_[0], 3, dims_[1], dims_[2]},
        warmup_(static_cast<std::size_t>(context.params.integer("warmup"))) {
    // An untimed first call, as on the database, that also learns the size of the scores.
    script_.run("pre_process_3ch", images_, dims_, processed_);
    scores_ = model_.run(processed_, processed_dims_);
    const std::size_t samples =
        warmup_ + static_cast<std::size_t>(context.params.integer("iterations"));
    script_op_ = recorder_.add(prefix + "run_script", samples, warmup_);
    model_op_ = recorder_.add(prefix + "run_model", samples, warmup_);
    loop_op_ = recorder_.add(prefix + "loop_time", 1);
  }

  /// One timed iteration.
  void step(std::size_t sample) {
    const double start = now();
    script_.run("pre_process_3ch", images_, dims_, processed_);
    const double middle = now();
    model_.run(processed_, processed_dims_, scores_);
    const double end = now();
    recorder_.record(script_op_, sample, middle - start);
    recorder_.record(model_op_, sample, end - middle);
    if (sample >= warmup_) loop_seconds_ += end - start;
  }

  void finish() { recorder_.record(loop_op_, 0, loop_seconds_); }

 private:
  results::TimingRecorder& recorder_;
  inference::LocalThreads threads_;
  inference::LocalScript script_;
  inference::LocalModel model_;
  std::vector<float> images_;
  std::vector<std::uint64_t> dims_;
  std::vector<float> processed_;
  std::array<std::uint64_t, 4> processed_dims_;
  std::vector<float> scores_;
  std::size_t warmup_;
  int script_op_ = 0;
  int model_op_ = 0;
  int loop_op_ = 0;
  double loop_seconds_ = 0;
};
#endif

}  // namespace

std::string model_path(const core::Parameters& params) {
  const std::string& model = params.text("model");
  if (model.find('/') != std::string::npos || model.ends_with(".pt")) return model;
  return std::string(SCALESTUDY_MODELS_DIR) + "/" + model + ".pt";
}

std::string script_path(const core::Parameters& params) {
  const std::string& script = params.text("script");
  return script.empty() ? std::string(SCALESTUDY_MODELS_DIR) + "/data_processing_script.txt"
                        : script;
}

void Inference::validate(const core::Parameters& params) const {
  if (params.text("backend") != "mpi") {
    throw ConfigError("the " + params.text("backend") +
                      " backend has no model runtime (Redis here runs without RedisAI): the "
                      "inference workload needs backend: mpi");
  }
#ifndef SCALESTUDY_HAVE_TORCH
  throw ConfigError(
      "this scalestudy was built without libtorch (libtorch-dev), so database "
      "ranks cannot run models; install it and rebuild (scripts/setup)");
#endif
  check_inference_parameters(params);
}

void Inference::run(WorkloadContext& context) const {
  const auto& params = context.params;
  auto& recorder = context.recorder;
  const auto warmup = static_cast<std::size_t>(params.integer("warmup"));
  const std::size_t samples = warmup + static_cast<std::size_t>(params.integer("iterations"));
  const bool barrier_each = params.boolean("barrier_each_iteration");

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);

  if (sets_model(context)) {
    store::ModelOptions options;
    options.instances = static_cast<int>(params.integer("instances"));
    options.threads_per_queue = static_cast<int>(params.integer("db_threads_per_queue"));
    options.max_batch_size = static_cast<int>(params.integer("max_batch_size"));
    options.max_queue_delay_us = static_cast<int>(params.integer("max_queue_delay_us"));
    double start = now();
    store->set_model_from_file(kModelKey, model_path(params), options);
    recorder.record(recorder.add("set_model", 1), 0, now() - start);
    start = now();
    store->set_script_from_file(kScriptKey, script_path(params));
    recorder.record(recorder.add("set_script", 1), 0, now() - start);
  }
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
  // As SmartSim-Scaling: 100 tries, 100 ms apart.
  if (!store->poll_model(kModelKey, 100, 100) || !store->poll_model(kScriptKey, 100, 100)) {
    throw WorkloadError("the model or script never appeared on the database ranks");
  }

  // Keys share a hash tag, so the script and the model run where the images are.
  const std::string tag = "{inference_rank_" + std::to_string(context.client) + "}";
  const std::vector<std::string> input = {tag + ".input"};
  const std::vector<std::string> processed = {tag + ".processed"};
  const std::vector<std::string> output = {tag + ".output"};
  const std::vector<float> images = make_images(params, context.client);
  const std::vector<std::uint64_t> dims = image_dims(params);
  const std::uint64_t image_bytes = images.size() * sizeof(float);

  // One untimed inference (the first call loads libraries and can take seconds) that also
  // learns the size of the scores.
  store->put_tensor(input.front(), images.data(), dims, store::DType::Float32);
  store->run_script(kScriptKey, "pre_process_3ch", input, processed);
  store->run_model(kModelKey, processed, output);
  const store::Tensor first = store->get_tensor(output.front());
  if (first.dtype != store::DType::Float32) {
    throw WorkloadError("model output is " + std::string(store::dtype_name(first.dtype)) +
                        ", expected float32 scores");
  }
  std::vector<float> scores(first.data.size() / sizeof(float));
  const std::uint64_t score_bytes = first.data.size();

  // model_only: the inputs stay in the store and only run_model repeats, as a model server's
  // load generator (Triton's perf_analyzer) sends requests back to back.
  const bool full = params.text("pipeline") == "full";
  const int put_op = full ? recorder.add("put_tensor", samples, warmup, image_bytes) : -1;
  const int script_op = full ? recorder.add("run_script", samples, warmup) : -1;
  const int model_op = recorder.add("run_model", samples, warmup);
  const int unpack_op = full ? recorder.add("unpack_tensor", samples, warmup, score_bytes) : -1;
  const int loop_op = recorder.add("loop_time", 1);
#ifdef SCALESTUDY_HAVE_TORCH
  // The in-process limit runs after each database iteration rather than after the loop, so
  // both see the same machine even when its speed drifts.
  std::optional<LocalInference> local;
  if (params.boolean("baseline")) local.emplace(context, "local_");
#endif
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");

  double loop_seconds = 0;  // the database path only
  for (std::size_t i = 0; i < samples; ++i) {
    if (barrier_each) core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
    const double iteration_start = now();
    double start = iteration_start;
    double end = start;
    if (full) {
      store->put_tensor(input.front(), images.data(), dims, store::DType::Float32);
      end = now();
      recorder.record(put_op, i, end - start);
      start = now();
      store->run_script(kScriptKey, "pre_process_3ch", input, processed);
      end = now();
      recorder.record(script_op, i, end - start);
      start = now();
    }
    store->run_model(kModelKey, processed, output);
    end = now();
    recorder.record(model_op, i, end - start);
    if (full) {
      start = now();
      store->unpack_tensor(output.front(), scores.data(), first.dims, store::DType::Float32);
      end = now();
      recorder.record(unpack_op, i, end - start);
    }
    if (i >= warmup) loop_seconds += end - iteration_start;
#ifdef SCALESTUDY_HAVE_TORCH
    if (local) local->step(i);
#endif
  }
  recorder.record(loop_op, 0, loop_seconds);
#ifdef SCALESTUDY_HAVE_TORCH
  if (local) local->finish();
#endif
}

void InferenceBaseline::validate(const core::Parameters& params) const {
#ifndef SCALESTUDY_HAVE_TORCH
  throw ConfigError(
      "this scalestudy was built without libtorch (libtorch-dev); install it and "
      "rebuild (scripts/setup)");
#endif
  check_inference_parameters(params);
}

void InferenceBaseline::run(WorkloadContext& context) const {
  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  context.recorder.record(context.recorder.add("client_init", 1), 0, now() - t0);
#ifdef SCALESTUDY_HAVE_TORCH
  LocalInference local(context, "");
  const std::size_t samples = static_cast<std::size_t>(context.params.integer("warmup") +
                                                       context.params.integer("iterations"));
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
  for (std::size_t i = 0; i < samples; ++i) local.step(i);
  local.finish();
#endif
}

}  // namespace scalestudy::workloads
