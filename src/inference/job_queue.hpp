// The queue of one served model or script and its dynamic batcher (Triton-style); no torch here.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "store/model_runtime.hpp"

namespace scalestudy::inference {

/// How a queue groups its jobs (ModelOptions' batching fields).
struct BatchPolicy {
  int max_batch_size = 0;      ///< most rows per batch; 0 = every job alone
  int max_queue_delay_us = 0;  ///< how long the oldest job waits for others to fill its batch
};

namespace detail {

/// Rows of a job: the first dimension, shared by all its inputs. nullopt when the job cannot join
/// a batch (no inputs, or inputs whose first dimensions differ).
std::optional<std::uint64_t> batch_rows(const store::ModelJob& job);

/// Whether the inputs of `a` and `b` can be concatenated along dimension 0: as many inputs, each
/// of the same dtype and the same dimensions but the first.
bool batch_compatible(const store::ModelJob& a, const store::ModelJob& b);

/// Positions in `queue` of the next batch, oldest first: the front job, then every later job that
/// is compatible with it and fits while the rows stay within `max_batch_size`. The front job runs
/// alone when batching is off (0), when it cannot be batched, or when it has max_batch_size rows
/// or more on its own.
std::vector<std::size_t> select_batch(const std::deque<store::ModelJob>& queue, int max_batch_size);

}  // namespace detail

/// Jobs of one model or script from any client, handed to its worker threads in batches. Thread
/// safe; waits on a condition variable, never spins.
class JobQueue {
 public:
  explicit JobQueue(BatchPolicy policy) : policy_(policy) {}

  /// Queues a job and wakes a worker. Returns false, leaving `job` as it was, once the queue is
  /// closed or stopped.
  bool push(store::ModelJob& job);

  /// Blocks until a batch is ready and removes it from the queue, oldest job first. With batching
  /// on, waits until the oldest job's arrival + max_queue_delay_us for the batch to fill, unless
  /// it is full sooner. Empty once the queue is stopped, or closed and drained.
  std::vector<store::ModelJob> next_batch();

  /// Refuses further jobs; workers run what is queued (without waiting for batches to fill) and
  /// then get an empty batch.
  void close();

  /// Refuses further jobs and drops the queued ones; workers get an empty batch at once.
  void stop();

  /// Jobs queued and not yet handed to a worker.
  std::size_t size() const;

 private:
  enum class State { Open, Closed, Stopped };

  BatchPolicy policy_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<store::ModelJob> queue_;
  State state_ = State::Open;
};

}  // namespace scalestudy::inference
