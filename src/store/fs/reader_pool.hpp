// A fixed set of threads that run one indexed job at a time (SmartRedis' SR_THREAD_COUNT pool).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scalestudy::store::fs {

class ReaderPool {
 public:
  /// Starts `threads` threads (none for 1: jobs then run on the caller).
  explicit ReaderPool(int threads);
  /// Stops and joins the threads.
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  /// Runs job(0) ... job(count - 1) on the pool's threads, each index once, and returns when all
  /// are done. Rethrows the first exception a job threw (after every index has run).
  void run(std::size_t count, const std::function<void(std::size_t)>& job);

 private:
  void work();

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::size_t finished_ = 0;
  std::size_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace scalestudy::store::fs
