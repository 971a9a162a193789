// Tensor storage with buffer reuse and memory accounting.
#include "store/mpi/tensor_table.hpp"

#include <algorithm>
#include <cstring>

namespace scalestudy::store::mpi {

StoredTensor* TensorTable::reserve(std::string_view key, DType dtype, Dims dims,
                                   std::uint64_t bytes, std::string& error) {
  auto it = tensors_.find(key);
  const std::uint64_t old_capacity = it == tensors_.end() ? 0 : it->second.data.size();
  // Reuse the key's buffer unless it is too small or more than twice what is needed.
  const bool reuse = it != tensors_.end() && old_capacity >= bytes && old_capacity / 2 <= bytes;
  if (!reuse) {
    const std::uint64_t after = memory_ - old_capacity + bytes;
    if (max_memory_ > 0 && after > max_memory_) {
      error = "shard holds " + std::to_string(memory_) + " bytes of tensors; storing " +
              std::to_string(bytes) +
              " more would exceed db_max_memory=" + std::to_string(max_memory_) +
              " bytes (raise db_max_memory or delete keys)";
      return nullptr;
    }
    if (it == tensors_.end()) {
      it = tensors_.emplace(std::string(key), StoredTensor{}).first;
    }
    it->second.data = AlignedBuffer();  // free the old buffer before taking the new one
    it->second.data = AlignedBuffer(bytes);
    memory_ = after;
    peak_memory_ = std::max(peak_memory_, memory_);
  }
  StoredTensor& tensor = it->second;
  tensor.dtype = dtype;
  tensor.ndim = static_cast<std::uint8_t>(dims.size());
  std::copy(dims.begin(), dims.end(), tensor.dims.begin());
  tensor.bytes = bytes;
  return &tensor;
}

const StoredTensor* TensorTable::find(std::string_view key) const {
  const auto it = tensors_.find(key);
  return it == tensors_.end() ? nullptr : &it->second;
}

bool TensorTable::erase(std::string_view key) {
  const auto it = tensors_.find(key);
  if (it == tensors_.end()) return false;
  memory_ -= it->second.data.size();
  tensors_.erase(it);
  return true;
}

}  // namespace scalestudy::store::mpi
