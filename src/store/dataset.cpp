// Datasets and their descriptor encoding.
#include "store/dataset.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace scalestudy::store {
namespace {

constexpr std::uint32_t kMagic = 0x53445353;  // "SSDS" little-endian
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kFixedBytes = 4 + 2 + 2 + 4 + 4 + 4 + 4;

void check_name(std::string_view what, std::string_view name, std::string_view dataset) {
  std::string problem;
  if (name.empty()) {
    problem = "is empty";
  } else if (name.size() > kMaxDataSetNameBytes) {
    problem = "is " + std::to_string(name.size()) + " bytes long (at most " +
              std::to_string(kMaxDataSetNameBytes) + ")";
  } else if (name.find('\0') != std::string_view::npos) {
    problem = "contains a NUL byte";
  }
  if (problem.empty()) return;
  std::string message = "dataset";
  if (!dataset.empty()) message += " '" + std::string(dataset) + "'";
  message += ": ";
  message += what;
  message += " '";
  for (const char c : name.substr(0, 64)) {
    if (c == '\0') {
      message += "\\0";  // a NUL would end the message early
    } else {
      message += c;
    }
  }
  message += "' " + problem;
  throw StoreError(message);
}

class Writer {
 public:
  template <typename T>
  void put(T value) {
    const auto* raw = reinterpret_cast<const char*>(&value);
    out_.append(raw, sizeof(T));
  }
  void text(std::string_view value) { out_.append(value); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  std::string text(std::size_t length) {
    need(length);
    std::string value(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
    offset_ += length;
    return value;
  }
  std::size_t offset() const { return offset_; }

 private:
  void need(std::size_t length) const {
    if (length > bytes_.size() - offset_) {
      throw StoreError("malformed dataset descriptor: it ends after " + std::to_string(offset_) +
                       " of " + std::to_string(bytes_.size()) + " bytes");
    }
  }
  std::span<const std::byte> bytes_;
  std::size_t offset_ = 0;
};

std::uint64_t round_up(std::uint64_t value) {
  return (value + kDataSetAlignment - 1) / kDataSetAlignment * kDataSetAlignment;
}

}  // namespace

DataSet::DataSet(std::string name) : name_(std::move(name)) { check_name("name", name_, ""); }

void DataSet::add_tensor(std::string_view name, const void* data, Dims dims, DType dtype,
                         std::shared_ptr<const void> owner) {
  check_name("tensor name", name, name_);
  if (has_tensor(name)) {
    throw StoreError("dataset '" + name_ + "' already has a tensor '" + std::string(name) + "'");
  }
  if (!dtype_from_code(static_cast<std::uint8_t>(dtype))) {
    throw StoreError("dataset '" + name_ + "', tensor '" + std::string(name) +
                     "': unknown dtype code " + std::to_string(static_cast<int>(dtype)));
  }
  std::uint64_t bytes = 0;
  try {
    bytes = tensor_bytes(dims, dtype);
  } catch (const StoreError& error) {
    throw StoreError("dataset '" + name_ + "', tensor '" + std::string(name) +
                     "': " + error.what());
  }
  DataSetTensor tensor;
  tensor.name = std::string(name);
  tensor.dtype = dtype;
  tensor.dims.assign(dims.begin(), dims.end());
  tensor.data = static_cast<const std::byte*>(data);
  tensor.bytes = bytes;
  tensor.owner = std::move(owner);
  tensors_.push_back(std::move(tensor));
}

bool DataSet::has_tensor(std::string_view name) const {
  return std::any_of(tensors_.begin(), tensors_.end(),
                     [&](const DataSetTensor& t) { return t.name == name; });
}

const DataSetTensor& DataSet::tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return t;
  }
  std::string known;
  for (const auto& t : tensors_) known += (known.empty() ? "" : ", ") + t.name;
  throw StoreError("dataset '" + name_ + "' has no tensor '" + std::string(name) + "' (it has " +
                   (known.empty() ? "none" : known) + ")");
}

void DataSet::add_meta_string(std::string_view field, std::string_view value) {
  check_name("metadata field", field, name_);
  if (value.find('\0') != std::string_view::npos) {
    throw StoreError("dataset '" + name_ + "': metadata value of field '" + std::string(field) +
                     "' contains a NUL byte");
  }
  metadata_.emplace_back(field, value);
}

std::vector<std::string> DataSet::get_meta_strings(std::string_view field) const {
  std::vector<std::string> values;
  for (const auto& [name, value] : metadata_) {
    if (name == field) values.push_back(value);
  }
  return values;
}

std::uint64_t DataSet::payload_bytes() const {
  std::uint64_t total = 0;
  for (const auto& t : tensors_) total += t.bytes;
  return total;
}

DataSetDescriptor DataSetDescriptor::of(const DataSet& dataset) {
  DataSetDescriptor d;
  d.name = dataset.name();
  for (const auto& t : dataset.tensors()) d.tensors.push_back({t.name, t.dtype, t.dims, t.bytes});
  d.metadata = dataset.metadata();
  return d;
}

std::string DataSetDescriptor::encode() const {
  Writer w;
  w.put(kMagic);
  w.put(kVersion);
  w.put(std::uint16_t{0});
  w.put(std::uint32_t{0});  // total size, patched below
  w.put(static_cast<std::uint32_t>(tensors.size()));
  w.put(static_cast<std::uint32_t>(metadata.size()));
  w.put(static_cast<std::uint32_t>(name.size()));
  w.text(name);
  for (const auto& t : tensors) {
    w.put(static_cast<std::uint8_t>(t.dtype));
    w.put(static_cast<std::uint8_t>(t.dims.size()));
    w.put(static_cast<std::uint16_t>(t.name.size()));
    for (const auto d : t.dims) w.put(d);
    w.text(t.name);
  }
  for (const auto& [field, value] : metadata) {
    w.put(static_cast<std::uint32_t>(field.size()));
    w.put(static_cast<std::uint32_t>(value.size()));
    w.text(field);
    w.text(value);
  }
  std::string& out = w.out();
  const auto size = static_cast<std::uint32_t>(out.size());
  std::memcpy(out.data() + 8, &size, sizeof(size));
  return out;
}

std::uint64_t DataSetDescriptor::encoded_size(std::span<const std::byte> head) {
  Reader r(head);
  if (r.get<std::uint32_t>() != kMagic) {
    throw StoreError("malformed dataset descriptor: bad magic (not a scalestudy dataset)");
  }
  const auto version = r.get<std::uint16_t>();
  if (version != kVersion) {
    throw StoreError("malformed dataset descriptor: version " + std::to_string(version) +
                     " (this scalestudy reads version " + std::to_string(kVersion) + ")");
  }
  r.get<std::uint16_t>();
  const auto size = r.get<std::uint32_t>();
  if (size < kFixedBytes) {
    throw StoreError("malformed dataset descriptor: size " + std::to_string(size));
  }
  return size;
}

DataSetDescriptor DataSetDescriptor::decode(std::span<const std::byte> bytes) {
  const std::uint64_t size = encoded_size(bytes);
  if (size > bytes.size()) {
    throw StoreError("malformed dataset descriptor: " + std::to_string(size) + " bytes, only " +
                     std::to_string(bytes.size()) + " given");
  }
  Reader r(bytes.first(size));
  r.get<std::uint32_t>();
  r.get<std::uint16_t>();
  r.get<std::uint16_t>();
  r.get<std::uint32_t>();
  DataSetDescriptor d;
  const auto tensor_count = r.get<std::uint32_t>();
  const auto meta_count = r.get<std::uint32_t>();
  d.name = r.text(r.get<std::uint32_t>());
  check_name("name", d.name, "");
  for (std::uint32_t i = 0; i < tensor_count; ++i) {
    Entry e;
    const auto code = r.get<std::uint8_t>();
    const auto ndim = r.get<std::uint8_t>();
    const auto name_bytes = r.get<std::uint16_t>();
    const auto dtype = dtype_from_code(code);
    if (!dtype) {
      throw StoreError("malformed dataset descriptor: unknown dtype code " + std::to_string(code));
    }
    e.dtype = *dtype;
    for (std::uint8_t k = 0; k < ndim; ++k) e.dims.push_back(r.get<std::uint64_t>());
    e.name = r.text(name_bytes);
    check_name("tensor name", e.name, d.name);
    e.bytes = tensor_bytes(e.dims, e.dtype);
    d.tensors.push_back(std::move(e));
  }
  for (std::uint32_t i = 0; i < meta_count; ++i) {
    const auto field_bytes = r.get<std::uint32_t>();
    const auto value_bytes = r.get<std::uint32_t>();
    std::string field = r.text(field_bytes);
    d.metadata.emplace_back(std::move(field), r.text(value_bytes));
  }
  if (r.offset() != size) {
    throw StoreError("malformed dataset descriptor: " + std::to_string(size - r.offset()) +
                     " bytes left over");
  }
  return d;
}

std::vector<std::uint64_t> DataSetDescriptor::offsets(std::uint64_t& total) const {
  std::vector<std::uint64_t> out;
  out.reserve(tensors.size());
  total = 0;
  for (const auto& t : tensors) {
    out.push_back(total);
    total = round_up(total + t.bytes);
  }
  return out;
}

std::vector<bool> DataSetDescriptor::inline_plan(std::uint64_t threshold,
                                                 std::uint64_t capacity) const {
  std::vector<bool> plan(tensors.size(), false);
  std::uint64_t used = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::uint64_t bytes = tensors[i].bytes;
    if (bytes <= threshold && used + bytes <= capacity) {
      plan[i] = true;
      used += bytes;
    }
  }
  return plan;
}

std::uint64_t DataSetDescriptor::payload_bytes() const {
  std::uint64_t total = 0;
  for (const auto& t : tensors) total += t.bytes;
  return total;
}

DataSet make_dataset(const DataSetDescriptor& descriptor, std::shared_ptr<AlignedBuffer> buffer,
                     const std::vector<std::uint64_t>& offsets) {
  DataSet dataset(descriptor.name);
  const std::shared_ptr<const void> owner = buffer;
  for (std::size_t i = 0; i < descriptor.tensors.size(); ++i) {
    const auto& t = descriptor.tensors[i];
    dataset.add_tensor(t.name, buffer->data() + offsets[i], t.dims, t.dtype, owner);
  }
  for (const auto& [field, value] : descriptor.metadata) dataset.add_meta_string(field, value);
  return dataset;
}

std::string dataset_tensor_key(std::string_view dataset, std::string_view tensor) {
  std::string key;
  key.reserve(dataset.size() + tensor.size() + 3);
  key += '{';
  key += dataset;
  key += "}.";
  key += tensor;
  return key;
}

}  // namespace scalestudy::store
