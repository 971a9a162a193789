// What a database rank needs from a model runtime: load models and scripts, queue jobs, and
// collect results. Implemented with libtorch in src/inference; the store never sees torch.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/tensor.hpp"

namespace scalestudy::store {

/// A stored tensor a job reads. `owner` keeps its memory alive (and unmodified: the tensor table
/// never writes into a buffer someone else still holds) until the job is done.
struct InputTensor {
  DType dtype = DType::Float32;
  std::vector<std::uint64_t> dims;
  const std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  std::shared_ptr<const void> owner;
};

/// How a model is served on each database rank (set_model's options).
struct ModelOptions {
  int instances = 1;           ///< copies of the model, each with its own worker threads
  int threads_per_queue = 1;   ///< worker threads per instance
  int max_batch_size = 0;      ///< dynamic batching: most rows per batch; 0 = every request alone
  int max_queue_delay_us = 0;  ///< longest a request waits for others to fill its batch
};

/// The one check of set_model's options, where a runtime takes them: at least one instance and
/// one thread per queue, no negative batch size or delay. Throws StoreError("set_model
/// '<key>': ...") naming the values.
void check_model_options(std::string_view key, const ModelOptions& options);

/// One run_model or run_script request.
struct ModelJob {
  std::uint64_t ticket = 0;  ///< the caller's id for this job, returned with its result
  bool script = false;
  std::string key;       ///< model or script key
  std::string function;  ///< script function (scripts only)
  std::vector<InputTensor> inputs;
  double arrival_s = 0;  ///< steady-clock seconds when the request arrived
};

struct JobResult {
  std::uint64_t ticket = 0;
  std::string error;  ///< "" on success, else the runtime's message (e.g. torch's)
  std::vector<Tensor> outputs;
  double queue_s = 0;           ///< arrival to start of the batch it ran in
  double compute_s = 0;         ///< duration of that batch
  std::int32_t batch_size = 0;  ///< rows of that batch (the batch dimension of all its requests)
};

/// When a model or script was loaded and how long its first call took.
struct ModelLoad {
  std::string key;
  bool script = false;
  double load_s = 0;
  double first_call_s = -1;  ///< -1 until it has run once
};

class ModelRuntime {
 public:
  virtual ~ModelRuntime() = default;

  /// Loads (or replaces) the TorchScript model `key` from its serialized bytes. Throws
  /// StoreError with the runtime's message when the bytes are not a model.
  virtual void set_model(const std::string& key, std::span<const std::byte> torchscript,
                         const ModelOptions& options) = 0;

  /// Compiles (or replaces) the TorchScript source `key`. Throws StoreError with the
  /// compiler's message.
  virtual void set_script(const std::string& key, std::string_view source) = 0;

  virtual bool has_model(std::string_view key) const = 0;
  virtual bool has_script(std::string_view key) const = 0;

  /// Queues a job (never blocks). An unknown key or a failing call comes back as a result
  /// with `error` set, never as an exception from a worker.
  virtual void submit(ModelJob job) = 0;

  /// Appends finished results to `out` (never blocks). Called by the progress thread.
  virtual void take_results(std::vector<JobResult>& out) = 0;

  /// Jobs submitted and not yet taken back.
  virtual std::size_t pending() const = 0;

  /// Blocks until a result can be taken or `timeout` passes. The progress loop sleeps here
  /// while workers compute, so it neither steals their cores nor answers late.
  virtual void wait_for_results(std::chrono::microseconds timeout) = 0;

  virtual std::vector<ModelLoad> loads() const = 0;
};

/// What a database rank records for every model or script request it served.
struct RequestRecord {
  std::string key;
  bool script = false;
  bool failed = false;
  double queue_s = 0;
  double compute_s = 0;
  std::int32_t batch_size = 0;
};

/// Seconds on the steady clock: ModelJob::arrival_s and the runtime's own timings use it.
double steady_seconds();

/// Makes the model runtime of a database rank from the point's threads settings.
struct ModelRuntimeSettings {
  int intra_op_threads = 1;  ///< threads one operator may use (at::set_num_threads)
  int inter_op_threads = 1;  ///< threads for independent operators (at::set_num_interop_threads)
};

}  // namespace scalestudy::store
