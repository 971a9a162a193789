// Reader threads that take indices from a shared counter until a job's indices run out.
#include "store/fs/reader_pool.hpp"

namespace scalestudy::store::fs {

ReaderPool::ReaderPool(int threads) {
  if (threads < 2) return;
  for (int t = 0; t < threads; ++t) threads_.emplace_back([this] { work(); });
}

ReaderPool::~ReaderPool() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void ReaderPool::run(std::size_t count, const std::function<void(std::size_t)>& job) {
  if (threads_.empty()) {
    std::exception_ptr error;
    for (std::size_t i = 0; i < count; ++i) {
      try {
        job(i);
      } catch (...) {
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
  std::unique_lock lock(mutex_);
  job_ = &job;
  count_ = count;
  next_ = 0;
  finished_ = 0;
  error_ = nullptr;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [this] { return finished_ == count_; });
  job_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void ReaderPool::work() {
  std::unique_lock lock(mutex_);
  std::size_t seen = 0;
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || (generation_ != seen && next_ < count_); });
    if (stop_) return;
    const std::size_t index = next_++;
    if (next_ == count_) seen = generation_;
    const auto* job = job_;
    lock.unlock();
    std::exception_ptr error;
    try {
      (*job)(index);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !error_) error_ = error;
    if (++finished_ == count_) done_.notify_all();
  }
}

}  // namespace scalestudy::store::fs
