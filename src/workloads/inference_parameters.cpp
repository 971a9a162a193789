// The inference parameters, their typed view, and where model and script files are found.
#include "workloads/inference_parameters.hpp"

#include "core/package_files.hpp"

namespace scalestudy::workloads {
namespace {

/// The model file a point names: a path, or one of the models traced by the build.
std::string model_file(const std::string& model) {
  if (model.find('/') != std::string::npos || model.ends_with(".pt")) return model;
  return core::models_directory() + "/" + model + ".pt";
}

/// The preprocessing script file of a point.
std::string script_file(const std::string& script) {
  return script.empty() ? core::models_directory() + "/data_processing_script.txt" : script;
}

}  // namespace

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& InferenceParameters::specs() {
  static const std::vector<ParamSpec> specs = {
      {"model", ParamType::Text, "resnet50", "Inference",
       "TorchScript model: resnet50, resnet18 or tiny_cnn (traced into build/models by the "
       "build), or the path of a .pt file"},
      {"script", ParamType::Text, "", "Inference",
       "TorchScript source with pre_process_3ch (default: build/models/"
       "data_processing_script.txt)"},
      {"pipeline", ParamType::Choice, "full", "Inference",
       "full: every iteration puts the images, runs the script and the model, and unpacks the "
       "scores (SmartSim-Scaling); model_only: only run_model repeats on stored inputs, as a "
       "model server's load generator (Triton's perf_analyzer) sends requests",
       {"full", "model_only"}},
      {"batch_size", ParamType::Integer, "1", "Inference",
       "images per request (batch_size x image_size x image_size x 3 float32)", {}, 1},
      {"image_size", ParamType::Integer, "224", "Inference",
       "height and width of the images (tiny_cnn was traced on 32)", {}, 1},
      {"instances", ParamType::Integer, "1", "Inference",
       "copies of the model on each database rank, each with its own workers", {}, 1},
      {"db_threads_per_queue", ParamType::Integer, "1", "Inference",
       "worker threads per model instance on each database rank", {}, 1},
      {"intra_op_threads", ParamType::Integer, "1", "Inference",
       "threads one libtorch operator may use (database workers and in-process baselines)", {},
       1},
      {"inter_op_threads", ParamType::Integer, "1", "Inference",
       "libtorch threads for independent operators", {}, 1},
      {"max_batch_size", ParamType::Integer, "0", "Inference",
       "dynamic batching: most rows the database batches into one call (0: every request "
       "alone)", {}, 0},
      {"max_queue_delay_us", ParamType::Integer, "0", "Inference",
       "dynamic batching: longest a request waits for others to fill its batch", {}, 0},
  };
  return specs;
}
// clang-format on

InferenceParameters InferenceParameters::of(const core::Parameters& params) {
  InferenceParameters p;
  p.model_path = model_file(params.text("model"));
  p.script_path = script_file(params.text("script"));
  p.full_pipeline = params.text("pipeline") == "full";
  p.batch_size = static_cast<std::uint64_t>(params.integer("batch_size"));
  p.image_size = static_cast<std::uint64_t>(params.integer("image_size"));
  p.model.instances = static_cast<int>(params.integer("instances"));
  p.model.threads_per_queue = static_cast<int>(params.integer("db_threads_per_queue"));
  p.model.max_batch_size = static_cast<int>(params.integer("max_batch_size"));
  p.model.max_queue_delay_us = static_cast<int>(params.integer("max_queue_delay_us"));
  p.threads.intra_op_threads = static_cast<int>(params.integer("intra_op_threads"));
  p.threads.inter_op_threads = static_cast<int>(params.integer("inter_op_threads"));
  return p;
}

}  // namespace scalestudy::workloads
