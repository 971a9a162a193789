// A database rank's tensors: key -> aligned buffer with dtype and shape, under a memory cap.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/tensor.hpp"

namespace scalestudy::store::mpi {

struct StoredTensor {
  DType dtype = DType::Float32;
  std::uint8_t ndim = 0;
  std::array<std::uint64_t, kMaxDims> dims{};
  std::uint64_t bytes = 0;  ///< bytes in use; data->size() is the capacity
  /// Shared so that a model job reading the tensor keeps it alive and unchanged: a put never
  /// writes into a buffer anyone else still holds, it takes a new one.
  std::shared_ptr<AlignedBuffer> data;

  Dims shape() const { return Dims(dims.data(), ndim); }
  std::size_t capacity() const { return data ? data->size() : 0; }
  std::byte* bytes_ptr() const { return data ? data->data() : nullptr; }
};

/// Key -> tensor map that accounts buffer capacity against a cap and reuses a key's buffer
/// when a new tensor of similar size replaces it (the throughput loop's overwrite allocates
/// nothing).
class TensorTable {
 public:
  /// `max_memory_bytes` 0 means no limit.
  explicit TensorTable(std::uint64_t max_memory_bytes) : max_memory_(max_memory_bytes) {}

  /// Makes `key` hold an uninitialised tensor of `dims` and `dtype` (`bytes` bytes) and returns
  /// it for the caller to fill. Returns nullptr and sets `error` if the cap would be exceeded;
  /// the old tensor under `key` is then left as it was.
  StoredTensor* reserve(std::string_view key, DType dtype, Dims dims, std::uint64_t bytes,
                        std::string& error);

  /// Stores `tensor` under `key` without copying its bytes. Returns false and sets `error` if
  /// the cap would be exceeded.
  bool adopt(std::string_view key, Tensor&& tensor, std::string& error);

  const StoredTensor* find(std::string_view key) const;
  bool erase(std::string_view key);

  std::uint64_t size() const { return tensors_.size(); }
  std::uint64_t memory_bytes() const { return memory_; }
  std::uint64_t peak_memory_bytes() const { return peak_memory_; }
  std::uint64_t max_memory_bytes() const { return max_memory_; }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  std::unordered_map<std::string, StoredTensor, KeyHash, std::equal_to<>> tensors_;
  std::uint64_t max_memory_;
  std::uint64_t memory_ = 0;
  std::uint64_t peak_memory_ = 0;
};

}  // namespace scalestudy::store::mpi
