// The queue of one served model or script and its dynamic batcher.
#include "inference/job_queue.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace scalestudy::inference {
namespace detail {

std::optional<std::uint64_t> batch_rows(const store::ModelJob& job) {
  if (job.inputs.empty()) return std::nullopt;
  const auto& first = job.inputs.front().dims;
  if (first.empty()) return std::nullopt;
  for (const store::InputTensor& input : job.inputs) {
    if (input.dims.empty() || input.dims.front() != first.front()) return std::nullopt;
  }
  return first.front();
}

bool batch_compatible(const store::ModelJob& a, const store::ModelJob& b) {
  if (a.inputs.size() != b.inputs.size()) return false;
  for (std::size_t i = 0; i < a.inputs.size(); ++i) {
    const store::InputTensor& x = a.inputs[i];
    const store::InputTensor& y = b.inputs[i];
    if (x.dtype != y.dtype || x.dims.size() != y.dims.size() || x.dims.empty()) return false;
    if (!std::equal(x.dims.begin() + 1, x.dims.end(), y.dims.begin() + 1)) return false;
  }
  return true;
}

std::vector<std::size_t> select_batch(const std::deque<store::ModelJob>& queue,
                                      int max_batch_size) {
  std::vector<std::size_t> picked;
  if (queue.empty()) return picked;
  picked.push_back(0);
  const auto first_rows = batch_rows(queue.front());
  const auto limit = static_cast<std::uint64_t>(std::max(max_batch_size, 0));
  if (!first_rows || *first_rows >= limit) return picked;
  std::uint64_t rows = *first_rows;
  for (std::size_t i = 1; i < queue.size() && rows < limit; ++i) {
    const auto more = batch_rows(queue[i]);
    if (!more || *more > limit - rows || !batch_compatible(queue.front(), queue[i])) continue;
    picked.push_back(i);
    rows += *more;
  }
  return picked;
}

}  // namespace detail

namespace {

std::chrono::steady_clock::time_point steady_time(double seconds) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

std::uint64_t rows_of(const std::deque<store::ModelJob>& queue,
                      const std::vector<std::size_t>& picked) {
  std::uint64_t rows = 0;
  for (const std::size_t i : picked) rows += detail::batch_rows(queue[i]).value_or(0);
  return rows;
}

}  // namespace

bool JobQueue::push(store::ModelJob& job) {
  {
    const std::lock_guard lock(mutex_);
    if (state_ != State::Open) return false;
    queue_.push_back(std::move(job));
  }
  // A worker may be waiting for its batch to fill: it must hear of every arrival.
  if (policy_.max_batch_size > 0) {
    wake_.notify_all();
  } else {
    wake_.notify_one();
  }
  return true;
}

std::vector<store::ModelJob> JobQueue::next_batch() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return state_ != State::Open || !queue_.empty(); });
    if (state_ == State::Stopped || queue_.empty()) return {};
    const std::vector<std::size_t> picked = detail::select_batch(queue_, policy_.max_batch_size);
    const auto first_rows = detail::batch_rows(queue_.front());
    const auto limit = static_cast<std::uint64_t>(policy_.max_batch_size);
    const bool can_grow = policy_.max_batch_size > 0 && policy_.max_queue_delay_us > 0 &&
                          first_rows && rows_of(queue_, picked) < limit;
    if (state_ == State::Open && can_grow) {
      const auto deadline = steady_time(queue_.front().arrival_s) +
                            std::chrono::microseconds(policy_.max_queue_delay_us);
      if (std::chrono::steady_clock::now() < deadline) {
        // Woken by every arrival (or the deadline); the batch is chosen again from the start,
        // since another worker may have taken the oldest job meanwhile.
        wake_.wait_until(lock, deadline);
        continue;
      }
    }
    std::vector<store::ModelJob> batch;
    batch.reserve(picked.size());
    for (const std::size_t i : picked) batch.push_back(std::move(queue_[i]));
    // Erase back to front so that the positions stay valid.
    for (auto i = picked.rbegin(); i != picked.rend(); ++i) {
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(*i));
    }
    if (!queue_.empty()) wake_.notify_one();
    return batch;
  }
}

void JobQueue::close() {
  {
    const std::lock_guard lock(mutex_);
    if (state_ == State::Open) state_ = State::Closed;
  }
  wake_.notify_all();
}

void JobQueue::stop() {
  std::deque<store::ModelJob> dropped;
  {
    const std::lock_guard lock(mutex_);
    state_ = State::Stopped;
    dropped.swap(queue_);
  }
  wake_.notify_all();
}

std::size_t JobQueue::size() const {
  const std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace scalestudy::inference
