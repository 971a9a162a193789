// Recycled buffers for fetched datasets. A consumer that lets go of one iteration's datasets
// before fetching the next gets the same memory back, already mapped and faulted in: fetching a
// list then costs the transfer, not the page faults of fresh memory (about as much again at
// 1 MiB tensors, measured on the aggregation workload).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "store/tensor.hpp"

namespace scalestudy::store {

class BufferPool {
 public:
  /// Keeps at most `max_free_bytes` of released buffers for reuse; beyond that they are freed.
  explicit BufferPool(std::size_t max_free_bytes = kDefaultMaxFreeBytes);

  /// A buffer of exactly `bytes` (a released one of that size if the pool holds one), which
  /// goes back to the pool when its last holder lets go, on whatever thread, even after the
  /// pool is gone (then it is freed).
  std::shared_ptr<AlignedBuffer> acquire(std::size_t bytes);

  /// Bytes of released buffers the pool holds now.
  std::size_t free_bytes() const;

  static constexpr std::size_t kDefaultMaxFreeBytes = std::size_t{1} << 30;

 private:
  struct Shelf {
    std::mutex mutex;
    std::size_t max_free_bytes = 0;
    std::size_t free_bytes = 0;
    std::map<std::size_t, std::vector<AlignedBuffer>> free;  ///< by size

    void give_back(AlignedBuffer&& buffer);
  };
  std::shared_ptr<Shelf> shelf_;
};

}  // namespace scalestudy::store
