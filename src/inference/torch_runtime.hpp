// The libtorch model runtime of a database rank: TorchScript models and scripts, worker threads
// and dynamic batching behind store::ModelRuntime. This header does not include torch.
#pragma once

#include <memory>

#include "store/model_runtime.hpp"

namespace scalestudy::inference {

/// Makes a runtime that serves TorchScript models and scripts with libtorch.
///
/// Each model gets `instances` copies, each served by `threads_per_queue` worker threads; each
/// worker uses `settings.intra_op_threads` OpenMP threads. The inter-op pool is sized once per
/// process by the first runtime (libtorch cannot resize it). Each script has one worker thread.
/// With max_batch_size > 0 a free worker batches the oldest queued job with later compatible ones
/// (same dtypes, same dims but the first), waiting at most until the oldest job's arrival +
/// max_queue_delay_us, runs the batch once and splits the outputs back, row by row.
///
/// ModelJob::arrival_s is store::steady_seconds(); a job submitted with arrival_s 0, or one in
/// the future, is stamped at submit. Job inputs are read in place (no copy; their owners are
/// released once the job has run); outputs are copied once into store tensors. Throws StoreError
/// when the settings are not positive.
std::unique_ptr<store::ModelRuntime> make_torch_runtime(
    const store::ModelRuntimeSettings& settings);

}  // namespace scalestudy::inference
