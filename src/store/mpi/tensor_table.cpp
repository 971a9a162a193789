// Tensor storage with buffer reuse and memory accounting.
#include "store/mpi/tensor_table.hpp"

#include <algorithm>
#include <cstring>

namespace scalestudy::store::mpi {

namespace {

std::string over_cap(std::uint64_t memory, std::uint64_t bytes, std::uint64_t cap) {
  return "shard holds " + std::to_string(memory) + " bytes of tensors; storing " +
         std::to_string(bytes) + " more would exceed db_max_memory=" + std::to_string(cap) +
         " bytes (raise db_max_memory or delete keys)";
}

}  // namespace

StoredTensor* TensorTable::reserve(std::string_view key, DType dtype, Dims dims,
                                   std::uint64_t bytes, std::string& error) {
  auto it = tensors_.find(key);
  const std::uint64_t old_capacity = it == tensors_.end() ? 0 : it->second.capacity();
  // Reuse the key's buffer unless it is too small, more than twice what is needed, or still
  // read by someone else (a queued model job).
  const bool reuse = it != tensors_.end() && it->second.data.use_count() == 1 &&
                     old_capacity >= bytes && old_capacity / 2 <= bytes;
  if (!reuse) {
    const std::uint64_t after = memory_ - old_capacity + bytes;
    if (max_memory_ > 0 && after > max_memory_) {
      error = over_cap(memory_, bytes, max_memory_);
      return nullptr;
    }
    if (it == tensors_.end()) {
      it = tensors_.emplace(std::string(key), StoredTensor{}).first;
    }
    it->second.data.reset();  // free (or let go of) the old buffer before taking the new one
    it->second.data = std::make_shared<AlignedBuffer>(bytes);
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

bool TensorTable::adopt(std::string_view key, Tensor&& tensor, std::string& error) {
  auto it = tensors_.find(key);
  const std::uint64_t old_capacity = it == tensors_.end() ? 0 : it->second.capacity();
  const std::uint64_t bytes = tensor.data.size();
  const std::uint64_t after = memory_ - old_capacity + bytes;
  if (max_memory_ > 0 && after > max_memory_) {
    error = over_cap(memory_, bytes, max_memory_);
    return false;
  }
  if (it == tensors_.end()) it = tensors_.emplace(std::string(key), StoredTensor{}).first;
  StoredTensor& stored = it->second;
  stored.dtype = tensor.dtype;
  stored.ndim = static_cast<std::uint8_t>(tensor.dims.size());
  std::copy(tensor.dims.begin(), tensor.dims.end(), stored.dims.begin());
  stored.bytes = bytes;
  stored.data = std::make_shared<AlignedBuffer>(std::move(tensor.data));
  memory_ = after;
  peak_memory_ = std::max(peak_memory_, memory_);
  return true;
}

const StoredTensor* TensorTable::find(std::string_view key) const {
  const auto it = tensors_.find(key);
  return it == tensors_.end() ? nullptr : &it->second;
}

bool TensorTable::erase(std::string_view key) {
  const auto it = tensors_.find(key);
  if (it == tensors_.end()) return false;
  memory_ -= it->second.capacity();
  tensors_.erase(it);
  return true;
}

}  // namespace scalestudy::store::mpi
