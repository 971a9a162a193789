// Tensor element types, shapes and aligned buffers.
#include "store/tensor.hpp"

#include <new>
#include <string>

#include "core/error.hpp"

namespace scalestudy::store {
namespace {
constexpr std::align_val_t kAlignment{64};
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return 4;
    case DType::Float64:
      return 8;
    case DType::Int8:
      return 1;
    case DType::Int16:
      return 2;
    case DType::Int32:
      return 4;
    case DType::Int64:
      return 8;
    case DType::UInt8:
      return 1;
    case DType::UInt16:
      return 2;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::Int8:
      return "int8";
    case DType::Int16:
      return "int16";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::UInt8:
      return "uint8";
    case DType::UInt16:
      return "uint16";
  }
  return "invalid";
}

std::optional<DType> dtype_from_code(std::uint8_t code) {
  if (code >= 1 && code <= 8) return static_cast<DType>(code);
  return std::nullopt;
}

std::uint64_t element_count(Dims dims) {
  std::uint64_t count = 1;
  for (const std::uint64_t d : dims) {
    if (d != 0 && count > UINT64_MAX / d) {
      throw StoreError("tensor shape " + dims_text(dims) + " overflows 64 bits");
    }
    count *= d;
  }
  return count;
}

std::string dims_text(Dims dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

std::uint64_t tensor_bytes(Dims dims, DType dtype) {
  if (dims.empty() || dims.size() > kMaxDims) {
    throw StoreError("a tensor needs 1 to " + std::to_string(kMaxDims) + " dimensions, got " +
                     std::to_string(dims.size()));
  }
  const std::uint64_t count = element_count(dims);
  const std::uint64_t size = dtype_size(dtype);
  if (count > UINT64_MAX / size) {
    throw StoreError("tensor shape " + dims_text(dims) + " overflows 64 bits");
  }
  return count * size;
}

std::string tensor_text(DType dtype, Dims dims, std::uint64_t bytes) {
  return std::string(dtype_name(dtype)) + " " + dims_text(dims) + " (" + std::to_string(bytes) +
         " bytes)";
}

AlignedBuffer::AlignedBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes > 0) {
    data_.reset(static_cast<std::byte*>(::operator new(bytes, kAlignment)));
  }
}

void AlignedBuffer::Free::operator()(std::byte* p) const { ::operator delete(p, kAlignment); }

}  // namespace scalestudy::store
