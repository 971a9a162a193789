// The inference workload and its in-process baseline.
#include "workloads/inference.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "workloads/inference_parameters.hpp"
#include "workloads/loop_parameters.hpp"
#include "workloads/model_pipeline.hpp"

#ifdef SCALESTUDY_HAVE_TORCH
#include "inference/plugin.hpp"
#endif

namespace scalestudy::workloads {
namespace {

#ifdef SCALESTUDY_HAVE_TORCH
/// The limit: the same script and model on the same images, in-process on this client, timed
/// as `<prefix>run_script`, `<prefix>run_model` and `<prefix>loop_time` (the timed iterations).
class LocalInference {
 public:
  LocalInference(WorkloadContext& context, const LoopParameters& loop,
                 const InferenceParameters& parameters, const std::string& prefix)
      : recorder_(context.recorder),
        threads_{parameters.threads.intra_op_threads, parameters.threads.inter_op_threads},
        script_(inference::torch_plugin().load_script(parameters.script_path, "pre_process_3ch",
                                                      threads_)),
        model_(inference::torch_plugin().load_model(parameters.model_path, threads_)),
        images_(make_images(parameters, context.client)),
        dims_(parameters.image_dims()),
        processed_(images_.size()),
        processed_dims_{dims_[0], 3, dims_[1], dims_[2]},
        warmup_(loop.warmup) {
    // An untimed first call, as on the database, that also learns the size of the scores.
    script_->run(images_, dims_, processed_);
    scores_ = model_->run(processed_, processed_dims_);
    script_op_ = recorder_.add(prefix + "run_script", loop.samples(), warmup_);
    model_op_ = recorder_.add(prefix + "run_model", loop.samples(), warmup_);
    loop_op_ = recorder_.add(prefix + "loop_time", 1);
  }

  /// One timed iteration.
  void step(std::size_t sample) {
    const double start = now();
    script_->run(images_, dims_, processed_);
    const double middle = now();
    model_->run(processed_, processed_dims_, scores_);
    const double end = now();
    recorder_.record(script_op_, sample, middle - start);
    recorder_.record(model_op_, sample, end - middle);
    if (sample >= warmup_) loop_seconds_ += end - start;
  }

  void finish() { recorder_.record(loop_op_, 0, loop_seconds_); }

 private:
  results::TimingRecorder& recorder_;
  inference::LocalThreads threads_;
  std::unique_ptr<inference::InProcessFunction> script_;
  std::unique_ptr<inference::InProcessFunction> model_;
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

WorkloadNeeds Inference::needs(const core::Parameters& params) const {
  return {.store = {.tensors = true, .models = true},
          .model_runtime = InferenceParameters::of(params).threads};
}

void Inference::check(const core::Parameters& params) const {
  check_database_models(InferenceParameters::of(params));
}

void Inference::run(WorkloadContext& context) const {
  const LoopParameters loop = LoopParameters::of(context.params);
  const InferenceParameters parameters = InferenceParameters::of(context.params);
  auto& recorder = context.recorder;
  const std::size_t warmup = loop.warmup;
  const std::size_t samples = loop.samples();

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);
  set_up_models(context, parameters, *store);

  const std::vector<float> images = make_images(parameters, context.client);
  ModelPipeline pipeline(*store, recorder, context.client, images, parameters.image_dims(),
                         parameters.full_pipeline, samples, warmup);
  const int loop_op = recorder.add("loop_time", 1);
#ifdef SCALESTUDY_HAVE_TORCH
  // The in-process limit runs after each database iteration rather than after the loop, so
  // both see the same machine even when its speed drifts.
  std::optional<LocalInference> local;
  if (loop.baseline) local.emplace(context, loop, parameters, "local_");
#endif
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");

  double loop_seconds = 0;  // the database path only
  for (std::size_t i = 0; i < samples; ++i) {
    if (loop.barrier_each_iteration) {
      core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
    }
    const double seconds = pipeline.run(images, i);
    if (i >= warmup) loop_seconds += seconds;
#ifdef SCALESTUDY_HAVE_TORCH
    if (local) local->step(i);
#endif
  }
  recorder.record(loop_op, 0, loop_seconds);
#ifdef SCALESTUDY_HAVE_TORCH
  if (local) local->finish();
#endif
}

void InferenceBaseline::check(const core::Parameters& params) const {
#ifndef SCALESTUDY_HAVE_TORCH
  throw ConfigError(
      "this scalestudy was built without libtorch (libtorch-dev); install it and "
      "rebuild (scripts/setup)");
#endif
  check_model_files(InferenceParameters::of(params));
}

void InferenceBaseline::run(WorkloadContext& context) const {
  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  context.recorder.record(context.recorder.add("client_init", 1), 0, now() - t0);
#ifdef SCALESTUDY_HAVE_TORCH
  const LoopParameters loop = LoopParameters::of(context.params);
  LocalInference local(context, loop, InferenceParameters::of(context.params), "");
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
  for (std::size_t i = 0; i < loop.samples(); ++i) local.step(i);
  local.finish();
#endif
}

}  // namespace scalestudy::workloads
