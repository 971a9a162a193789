// TorchRuntime: TorchScript models and scripts served by worker threads with dynamic batching.
#include "inference/torch_runtime.hpp"

#include <ATen/Functions.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "inference/impl/torch_util.hpp"
#include "inference/job_queue.hpp"

namespace scalestudy::inference {
namespace {

using store::JobResult;
using store::ModelJob;

/// One model or script being served: its queue, its torch objects and its worker threads.
/// Workers hold a plain reference: the runtime destroys a Served only after its workers ended.
struct Served {
  Served(bool is_script, std::string name, BatchPolicy policy)
      : script(is_script), key(std::move(name)), queue(policy) {}
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;
  ~Served() {
    queue.stop();
    for (std::thread& worker : workers) {
      if (worker.joinable()) worker.join();
    }
  }

  void record_first_call(double seconds) {
    const std::lock_guard lock(load_mutex);
    if (load.first_call_s < 0) load.first_call_s = seconds;
  }
  store::ModelLoad load_info() const {
    const std::lock_guard lock(load_mutex);
    return load;
  }

  const bool script;
  const std::string key;
  JobQueue queue;
  std::vector<torch::jit::Module> instances;          // models: one per instance
  std::shared_ptr<torch::jit::CompilationUnit> unit;  // scripts
  std::vector<std::thread> workers;
  std::atomic<int> running{0};  // workers that have not yet left their loop
  mutable std::mutex load_mutex;
  store::ModelLoad load;
};

/// "model 'resnet'", "script 'pre'": how error messages name what failed.
std::string served_name(bool script, const std::string& key) {
  return (script ? "script '" : "model '") + key + "'";
}

using Table = std::map<std::string, std::shared_ptr<Served>, std::less<>>;

std::int64_t rows_of(const ModelJob& job) {
  return static_cast<std::int64_t>(detail::batch_rows(job).value_or(1));
}

std::string function_names(const torch::jit::CompilationUnit& unit) {
  std::string names;
  for (const torch::jit::Function* function : unit.get_functions()) {
    names += (names.empty() ? "" : ", ") + function->name();
  }
  return names.empty() ? "none" : names;
}

class TorchRuntime final : public store::ModelRuntime {
 public:
  explicit TorchRuntime(const store::ModelRuntimeSettings& settings) : settings_(settings) {
    if (settings.intra_op_threads < 1 || settings.inter_op_threads < 1) {
      throw StoreError("model runtime: intra_op_threads (" +
                       std::to_string(settings.intra_op_threads) + ") and inter_op_threads (" +
                       std::to_string(settings.inter_op_threads) + ") must be at least 1");
    }
  }

  ~TorchRuntime() override {
    std::vector<std::shared_ptr<Served>> all;
    {
      const std::unique_lock lock(table_mutex_);
      for (Table* table : {&models_, &scripts_}) {
        for (auto& [key, served] : *table) all.push_back(std::move(served));
        table->clear();
      }
      for (auto& served : retired_) all.push_back(std::move(served));
      retired_.clear();
    }
    // Stop every queue first so that all workers wind down together, then join (~Served).
    for (const auto& served : all) served->queue.stop();
    all.clear();
  }

  TorchRuntime(const TorchRuntime&) = delete;
  TorchRuntime& operator=(const TorchRuntime&) = delete;

  void set_model(const std::string& key, std::span<const std::byte> torchscript,
                 const store::ModelOptions& options) override {
    store::check_model_options(key, options);
    const double start = store::steady_seconds();
    auto served = std::make_shared<Served>(
        false, key, BatchPolicy{options.max_batch_size, options.max_queue_delay_us});
    try {
      const torch::jit::Module module = detail::load_module(torchscript);
      served->instances.push_back(module);
      for (int i = 1; i < options.instances; ++i) served->instances.push_back(module.clone());
    } catch (...) {
      throw StoreError("set_model '" + key + "': " + std::to_string(torchscript.size()) +
                       " bytes that libtorch cannot load as a TorchScript model: " +
                       detail::current_error_message());
    }
    served->load = {key, false, store::steady_seconds() - start, -1};
    for (int i = 0; i < options.instances * options.threads_per_queue; ++i) {
      start_worker(*served, static_cast<std::size_t>(i / options.threads_per_queue));
    }
    install(models_, std::move(served));
  }

  void set_script(const std::string& key, std::string_view source) override {
    const double start = store::steady_seconds();
    auto served = std::make_shared<Served>(true, key, BatchPolicy{});
    try {
      served->unit = detail::compile_script(source);
    } catch (...) {
      throw StoreError("set_script '" + key +
                       "': TorchScript does not compile: " + detail::current_error_message());
    }
    served->load = {key, true, store::steady_seconds() - start, -1};
    start_worker(*served, 0);
    install(scripts_, std::move(served));
  }

  bool has_model(std::string_view key) const override {
    const std::shared_lock lock(table_mutex_);
    return models_.find(key) != models_.end();
  }

  bool has_script(std::string_view key) const override {
    const std::shared_lock lock(table_mutex_);
    return scripts_.find(key) != scripts_.end();
  }

  void submit(ModelJob job) override {
    pending_.fetch_add(1);
    const double now = store::steady_seconds();
    if (job.arrival_s <= 0 || job.arrival_s > now) job.arrival_s = now;
    std::string problem;
    for (std::size_t i = 0; i < job.inputs.size() && problem.empty(); ++i) {
      problem = detail::input_problem(job.inputs[i]);
    }
    if (problem.empty()) {
      const std::shared_lock lock(table_mutex_);
      const Table& table = job.script ? scripts_ : models_;
      const auto found = table.find(job.key);
      if (found == table.end()) {
        problem = "no such " + std::string(job.script ? "script" : "model") +
                  " on this rank; set it first";
      } else if (found->second->queue.push(job)) {
        return;
      } else {
        problem = "it is being replaced; submit again";
      }
    }
    JobResult result;
    result.ticket = job.ticket;
    result.error = served_name(job.script, job.key) + ": " + problem;
    deliver(std::span(&result, 1));
  }

  void take_results(std::vector<JobResult>& out) override {
    const std::lock_guard lock(results_mutex_);
    if (results_.empty()) return;
    const std::size_t taken = results_.size();
    out.insert(out.end(), std::make_move_iterator(results_.begin()),
               std::make_move_iterator(results_.end()));
    results_.clear();
    pending_.fetch_sub(taken);
  }

  std::size_t pending() const override { return pending_.load(); }

  void wait_for_results(std::chrono::microseconds timeout) override {
    std::unique_lock lock(results_mutex_);
    results_ready_.wait_for(lock, timeout, [this] { return !results_.empty(); });
  }

  std::vector<store::ModelLoad> loads() const override {
    std::vector<store::ModelLoad> out;
    const std::shared_lock lock(table_mutex_);
    for (const Table* table : {&models_, &scripts_}) {
      for (const auto& [key, served] : *table) out.push_back(served->load_info());
    }
    return out;
  }

 private:
  void start_worker(Served& served, std::size_t instance) {
    served.running.fetch_add(1);
    try {
      served.workers.emplace_back([this, &served, instance] { serve(served, instance); });
    } catch (...) {
      served.running.fetch_sub(1);
      throw;
    }
  }

  // Puts `served` under its key. A replaced entry stops taking jobs; its workers finish the jobs
  // already queued with the old model and end; it is destroyed on a later install once they have.
  void install(Table& table, std::shared_ptr<Served> served) {
    std::vector<std::shared_ptr<Served>> finished;
    const std::unique_lock lock(table_mutex_);
    std::shared_ptr<Served>& slot = table[served->key];
    if (slot) {
      slot->queue.close();
      retired_.push_back(std::move(slot));
    }
    slot = std::move(served);
    const auto still_running = std::stable_partition(
        retired_.begin(), retired_.end(), [](const auto& old) { return old->running.load() > 0; });
    std::move(still_running, retired_.end(), std::back_inserter(finished));
    retired_.erase(still_running, retired_.end());
    // `finished` is destroyed after the lock is released (it is declared first).
  }

  void serve(Served& served, std::size_t instance) {
    try {
      detail::set_threads(settings_.intra_op_threads, settings_.inter_op_threads);
    } catch (...) {
      // Keep libtorch's default thread count rather than lose the worker.
    }
    const c10::InferenceMode inference_mode;
    for (;;) {
      std::vector<ModelJob> batch = served.queue.next_batch();
      if (batch.empty()) break;
      run_batch(served, instance, batch);
    }
    served.running.fetch_sub(1);
  }

  // Runs `batch` as one call and delivers a result for every job. Never throws.
  void run_batch(Served& served, std::size_t instance, std::vector<ModelJob>& batch) {
    const double start = store::steady_seconds();
    std::vector<JobResult> results(batch.size());
    std::string error;
    try {
      call(served, instance, batch, results);
    } catch (...) {
      error = detail::current_error_message();
    }
    if (!error.empty() && batch.size() > 1) {
      // Run a failed batch again job by job, so each gets the answer it would have had alone
      // (e.g. from a model whose outputs lack the batch dimension).
      for (ModelJob& job : batch) {
        std::vector<ModelJob> alone;
        alone.push_back(std::move(job));
        run_batch(served, instance, alone);
      }
      return;
    }
    const double end = store::steady_seconds();
    served.record_first_call(end - start);
    std::int64_t rows = 0;
    for (const ModelJob& job : batch) rows += rows_of(job);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      JobResult& result = results[i];
      result.ticket = batch[i].ticket;
      if (!error.empty()) {
        result.outputs.clear();
        result.error = served_name(served.script, served.key) + ": " + error;
      }
      result.queue_s = start - batch[i].arrival_s;
      result.compute_s = end - start;
      result.batch_size = static_cast<std::int32_t>(rows);
    }
    deliver(results);
  }

  // Concatenates the jobs' inputs along dimension 0 (or wraps a single job's in place), runs the
  // model or script once and splits every output back, row by row. Throws on any failure.
  void call(Served& served, std::size_t instance, std::span<const ModelJob> jobs,
            std::span<JobResult> results) {
    const ModelJob& first = jobs.front();
    std::vector<c10::IValue> inputs;
    inputs.reserve(first.inputs.size());
    for (std::size_t i = 0; i < first.inputs.size(); ++i) {
      if (jobs.size() == 1) {
        inputs.emplace_back(detail::wrap_input(first.inputs[i]));
        continue;
      }
      std::vector<at::Tensor> parts;
      parts.reserve(jobs.size());
      for (const ModelJob& job : jobs) parts.push_back(detail::wrap_input(job.inputs[i]));
      inputs.emplace_back(at::cat(parts, 0));
    }
    c10::IValue output;
    if (served.script) {
      torch::jit::Function* function = served.unit->find_function(first.function);
      if (function == nullptr) {
        throw StoreError("no function '" + first.function + "' (it has " +
                         function_names(*served.unit) + ")");
      }
      output = (*function)(std::move(inputs));
    } else {
      output = served.instances[instance].forward(std::move(inputs));
    }
    std::vector<at::Tensor> tensors = detail::output_tensors(output);
    if (jobs.size() == 1) {
      for (std::size_t k = 0; k < tensors.size(); ++k) {
        results[0].outputs.push_back(detail::to_store(tensors[k], k));
      }
      return;
    }
    std::int64_t rows = 0;
    for (const ModelJob& job : jobs) rows += rows_of(job);
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      if (tensors[k].dim() == 0 || tensors[k].size(0) != rows) {
        throw StoreError("output " + std::to_string(k) + " has shape " +
                         c10::str(tensors[k].sizes()) + ", not the batch's " +
                         std::to_string(rows) + " rows first");
      }
      tensors[k] = tensors[k].contiguous();  // once, not once per job
    }
    std::int64_t offset = 0;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const std::int64_t count = rows_of(jobs[j]);
      for (std::size_t k = 0; k < tensors.size(); ++k) {
        results[j].outputs.push_back(detail::to_store(tensors[k], k, offset, count));
      }
      offset += count;
    }
  }

  void deliver(std::span<JobResult> results) {
    {
      const std::lock_guard lock(results_mutex_);
      for (JobResult& result : results) results_.push_back(std::move(result));
    }
    results_ready_.notify_all();
  }

  const store::ModelRuntimeSettings settings_;
  mutable std::shared_mutex table_mutex_;  // models_, scripts_, retired_
  Table models_;
  Table scripts_;
  std::vector<std::shared_ptr<Served>> retired_;  // replaced, finishing their queued jobs
  std::mutex results_mutex_;
  std::condition_variable results_ready_;
  std::vector<JobResult> results_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace

std::unique_ptr<store::ModelRuntime> make_torch_runtime(
    const store::ModelRuntimeSettings& settings) {
  return std::make_unique<TorchRuntime>(settings);
}

}  // namespace scalestudy::inference
