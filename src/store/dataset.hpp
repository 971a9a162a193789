// Datasets: a named group of tensors plus small string metadata, and the descriptor that carries
// one between a client, a database rank and a file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/tensor.hpp"

namespace scalestudy::store {

/// One tensor of a dataset: a view of memory that the dataset may keep alive (`owner`).
struct DataSetTensor {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<std::uint64_t> dims;
  const std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  /// Keeps `data` alive when set (a fetched dataset's buffer, a Python array); empty when the
  /// caller owns the memory.
  std::shared_ptr<const void> owner;

  std::span<const std::byte> span() const { return {data, bytes}; }
};

/// A named group of tensors and string metadata, as SmartRedis' DataSet. A dataset lives on
/// the shard of its name; its tensors are stored under "{name}.<tensor>" keys there.
class DataSet {
 public:
  /// Throws StoreError if `name` is empty, longer than 1024 bytes or contains a NUL byte.
  explicit DataSet(std::string name);

  const std::string& name() const { return name_; }

  /// Adds tensor `name` of `dims` and `dtype` at `data`, which is not copied: it must stay
  /// valid and unchanged until the dataset has been put (or as long as `owner` holds it).
  /// Throws StoreError for an empty, duplicate or NUL-holding name or a bad shape.
  void add_tensor(std::string_view name, const void* data, Dims dims, DType dtype,
                  std::shared_ptr<const void> owner = {});

  const std::vector<DataSetTensor>& tensors() const { return tensors_; }

  /// The tensor called `name`. Throws StoreError naming the dataset and its tensors otherwise.
  const DataSetTensor& tensor(std::string_view name) const;

  bool has_tensor(std::string_view name) const;

  /// Appends `value` to the strings of metadata field `field` (SmartRedis' add_meta_string).
  /// Throws StoreError for an empty field or a NUL byte.
  void add_meta_string(std::string_view field, std::string_view value);

  /// The strings of metadata field `field`, in the order they were added (empty if none).
  std::vector<std::string> get_meta_strings(std::string_view field) const;

  /// Every (field, value) pair, in the order they were added.
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

  /// Bytes of all tensors together.
  std::uint64_t payload_bytes() const;

 private:
  std::string name_;
  std::vector<DataSetTensor> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

/// Longest dataset name, tensor name or metadata field.
inline constexpr std::size_t kMaxDataSetNameBytes = 1024;

/// Alignment of each tensor in a fetched dataset's buffer and in a dataset file.
inline constexpr std::uint64_t kDataSetAlignment = 64;

/// A dataset without its tensors' bytes: what travels ahead of them (wire and files).
///
/// Encoding, in host byte order (little-endian on every supported machine):
///   u32 magic "SSDS", u16 version (1), u16 reserved, u32 descriptor bytes (all of it),
///   u32 tensor count, u32 metadata count, u32 name bytes, name;
///   per tensor: u8 dtype, u8 ndim, u16 name bytes, u64 dims[ndim], name;
///   per metadata entry: u32 field bytes, u32 value bytes, field, value.
struct DataSetDescriptor {
  struct Entry {
    std::string name;
    DType dtype = DType::Float32;
    std::vector<std::uint64_t> dims;
    std::uint64_t bytes = 0;
  };
  std::string name;
  std::vector<Entry> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;

  /// The descriptor of `dataset`.
  static DataSetDescriptor of(const DataSet& dataset);

  std::string encode() const;

  /// Decodes a descriptor at the start of `bytes` (which may hold more after it). Throws
  /// StoreError("malformed dataset descriptor: ...").
  static DataSetDescriptor decode(std::span<const std::byte> bytes);

  /// Size of the encoded descriptor at the start of `bytes` (its first 16 bytes suffice).
  /// Throws StoreError if they are not a descriptor's start.
  static std::uint64_t encoded_size(std::span<const std::byte> head);

  /// Offset of every tensor in one buffer holding them all, each aligned to
  /// kDataSetAlignment; `total` gets the buffer size.
  std::vector<std::uint64_t> offsets(std::uint64_t& total) const;

  /// Which tensors travel inside a message frame: each of at most `threshold` bytes, in order,
  /// while all of them together fit in `capacity`. Both ends compute the same plan.
  std::vector<bool> inline_plan(std::uint64_t threshold, std::uint64_t capacity) const;

  std::uint64_t payload_bytes() const;
};

/// The dataset a descriptor describes, its tensors in `buffer` at `offsets` (from
/// DataSetDescriptor::offsets), kept alive by the dataset.
DataSet make_dataset(const DataSetDescriptor& descriptor, std::shared_ptr<AlignedBuffer> buffer,
                     const std::vector<std::uint64_t>& offsets);

/// The key a dataset's tensor is stored under: "{<dataset>}.<tensor>", as SmartRedis does.
std::string dataset_tensor_key(std::string_view dataset, std::string_view tensor);

}  // namespace scalestudy::store
