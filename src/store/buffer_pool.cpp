#include "store/buffer_pool.hpp"

#include <utility>

namespace scalestudy::store {

BufferPool::BufferPool(std::size_t max_free_bytes) : shelf_(std::make_shared<Shelf>()) {
  shelf_->max_free_bytes = max_free_bytes;
}

std::shared_ptr<AlignedBuffer> BufferPool::acquire(std::size_t bytes) {
  auto buffer = std::make_unique<AlignedBuffer>();
  {
    const std::lock_guard lock(shelf_->mutex);
    const auto it = shelf_->free.find(bytes);
    if (it != shelf_->free.end()) {
      *buffer = std::move(it->second.back());
      it->second.pop_back();
      if (it->second.empty()) shelf_->free.erase(it);
      shelf_->free_bytes -= bytes;
    }
  }
  if (buffer->size() != bytes) *buffer = AlignedBuffer(bytes);
  const std::weak_ptr<Shelf> shelf = shelf_;
  return {buffer.release(), [shelf](AlignedBuffer* released) {
            const std::unique_ptr<AlignedBuffer> owned(released);
            if (const auto alive = shelf.lock()) alive->give_back(std::move(*owned));
          }};
}

std::size_t BufferPool::free_bytes() const {
  const std::lock_guard lock(shelf_->mutex);
  return shelf_->free_bytes;
}

void BufferPool::Shelf::give_back(AlignedBuffer&& buffer) {
  const std::size_t bytes = buffer.size();
  if (bytes == 0) return;
  const std::lock_guard lock(mutex);
  if (free_bytes + bytes > max_free_bytes) return;  // `buffer` is freed by its owner
  free[bytes].push_back(std::move(buffer));
  free_bytes += bytes;
}

}  // namespace scalestudy::store
