// Tensor element types, shapes and an owning, 64-byte aligned tensor buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scalestudy::store {

enum class DType : std::uint8_t {
  Float32 = 1,
  Float64 = 2,
  Int8 = 3,
  Int16 = 4,
  Int32 = 5,
  Int64 = 6,
  UInt8 = 7,
  UInt16 = 8,
};

/// Every dtype, in enum order.
inline constexpr std::array<DType, 8> kAllDTypes = {DType::Float32, DType::Float64, DType::Int8,
                                                    DType::Int16,   DType::Int32,   DType::Int64,
                                                    DType::UInt8,   DType::UInt16};

/// Tensors have 1 to kMaxDims dimensions.
inline constexpr std::size_t kMaxDims = 8;

using Dims = std::span<const std::uint64_t>;

/// Bytes per element.
std::size_t dtype_size(DType dtype);

/// "float32", "int16", ...
const char* dtype_name(DType dtype);

/// The dtype with wire code `code`, if it is one.
std::optional<DType> dtype_from_code(std::uint8_t code);

/// Product of the dimensions. Throws StoreError if it overflows.
std::uint64_t element_count(Dims dims);

/// "[1, 1024]"
std::string dims_text(Dims dims);

/// Bytes of a tensor of `dims` and `dtype`. Throws StoreError on overflow or a bad rank.
std::uint64_t tensor_bytes(Dims dims, DType dtype);

/// "float32 [1, 1024] (4096 bytes)": how error messages describe a tensor or a buffer.
std::string tensor_text(DType dtype, Dims dims, std::uint64_t bytes);

/// Uninitialised bytes aligned to 64 (a cache line, and enough for any vector unit).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t bytes);

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte[], Free> data_;
  std::size_t size_ = 0;
};

/// An owning tensor, as get_tensor returns it.
struct Tensor {
  DType dtype = DType::Float32;
  std::vector<std::uint64_t> dims;
  AlignedBuffer data;

  std::span<const std::byte> bytes() const { return {data.data(), data.size()}; }
};

}  // namespace scalestudy::store
