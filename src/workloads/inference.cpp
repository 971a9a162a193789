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
  LocalInference(WorkloadContext& context, const std::string& prefix)
      : recorder_(context.recorder),
        threads_{static_cast<int>(context.params.integer("intra_op_threads")),
                 static_cast<int>(context.params.integer("inter_op_threads"))},
        script_(inference::torch_plugin().load_script(script_path(context.params),
                                                      "pre_process_3ch", threads_)),
        model_(inference::torch_plugin().load_model(model_path(context.params), threads_)),
        images_(make_images(context.params, context.client)),
        dims_(image_dims(context.params)),
        processed_(images_.size()),
        processed_dims_{dims_[0], 3, dims_[1], dims_[2]},
        warmup_(static_cast<std::size_t>(context.params.integer("warmup"))) {
    // An untimed first call, as on the database, that also learns the size of the scores.
    script_->run(images_, dims_, processed_);
    scores_ = model_->run(processed_, processed_dims_);
    const std::size_t samples =
        warmup_ + static_cast<std::size_t>(context.params.integer("iterations"));
    script_op_ = recorder_.add(prefix + "run_script", samples, warmup_);
    model_op_ = recorder_.add(prefix + "run_model", samples, warmup_);
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

void Inference::check(const core::Parameters& params) const { check_database_models(params); }

void Inference::run(WorkloadContext& context) const {
  const auto& params = context.params;
  auto& recorder = context.recorder;
  const auto warmup = static_cast<std::size_t>(params.integer("warmup"));
  const std::size_t samples = warmup + static_cast<std::size_t>(params.integer("iterations"));
  const bool barrier_each = params.boolean("barrier_each_iteration");

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);
  set_up_models(context, *store);

  const std::vector<float> images = make_images(params, context.client);
  ModelPipeline pipeline(*store, recorder, context.client, images, image_dims(params),
                         params.text("pipeline") == "full", samples, warmup);
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
  check_model_files(params);
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
