// Database-rank handling of datasets and lists: a dataset's tensors live in the tensor table
// under "{name}.<tensor>" (so they share its memory cap and buffer reuse), its descriptor beside
// them; a list is the names of the datasets appended to it, which may live on any shard.
#include <cstring>
#include <new>

#include "core/error.hpp"
#include "store/control/transport.hpp"
#include "store/mpi/mpi_server.hpp"

namespace scalestudy::store::mpi {

using control::discard_bytes;
using control::kPutChunkBytes;
using control::recv_bytes;
using control::send_bytes;
namespace tags = control::tags;

using protocol::ReplyHeader;
using protocol::Request;
using protocol::Status;

namespace {

/// Removes a dataset's tensors and descriptor; returns whether there was one.
template <typename Datasets>
bool erase_dataset(Datasets& datasets, TensorTable& table, const std::string& name) {
  const auto it = datasets.find(name);
  if (it == datasets.end()) return false;
  for (const auto& t : it->second.descriptor.tensors) table.erase(dataset_tensor_key(name, t.name));
  datasets.erase(it);
  return true;
}

}  // namespace

void MpiServer::drain_dataset(const DataSetDescriptor& descriptor, const std::vector<bool>& plan,
                              int source, int channel) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) continue;
    discard_bytes(comm_, scratch_.data(), descriptor.tensors[i].bytes, source,
                  tags::payload(channel), kPutChunkBytes);
  }
}

void MpiServer::put_dataset(const Request& request, int source) {
  const int channel = request.header.channel;
  // The descriptor and the small tensors come inside the frame. Without a readable descriptor
  // the payloads behind it cannot be told apart: that is a client bug, answered, not drained.
  DataSetDescriptor descriptor;
  std::uint64_t descriptor_bytes = 0;
  try {
    descriptor = DataSetDescriptor::decode(request.inline_payload);
    descriptor_bytes = DataSetDescriptor::encoded_size(request.inline_payload);
  } catch (const StoreError& error) {
    return reply_error(source, request, Status::BadRequest, error.what());
  }
  const std::vector<bool> plan =
      descriptor.inline_plan(request.header.value, protocol::kMaxInlineBytes - descriptor_bytes);
  std::uint64_t inline_bytes = descriptor_bytes;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) inline_bytes += descriptor.tensors[i].bytes;
  }
  if (descriptor.name != request.key || inline_bytes != request.inline_payload.size()) {
    return reply_error(source, request, Status::BadRequest,
                       "malformed put_dataset: the frame holds dataset '" + descriptor.name +
                           "' in " + std::to_string(request.inline_payload.size()) +
                           " inline bytes (expected " + std::to_string(inline_bytes) + ")");
  }
  const std::string name(request.key);
  // Every tensor is reserved before any is received, so a refused dataset leaves nothing
  // behind. Reserving reuses the buffers of a dataset put again under the same name.
  std::vector<StoredTensor*> tensors;
  for (const auto& t : descriptor.tensors) {
    std::string error;
    StoredTensor* stored = nullptr;
    try {
      stored = table_.reserve(dataset_tensor_key(name, t.name), t.dtype, t.dims, t.bytes, error);
    } catch (const std::bad_alloc&) {
      error = "the database rank could not allocate " + std::to_string(t.bytes) + " bytes";
    }
    if (stored == nullptr) {
      for (const auto& other : descriptor.tensors)
        table_.erase(dataset_tensor_key(name, other.name));
      erase_dataset(datasets_, table_, name);
      drain_dataset(descriptor, plan, source, channel);
      return reply_error(source, request, Status::OutOfMemory,
                         "tensor '" + t.name + "': " + error + "; the dataset was not stored");
    }
    tensors.push_back(stored);
  }
  std::uint64_t position = descriptor_bytes;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const std::uint64_t bytes = descriptor.tensors[i].bytes;
    if (!plan[i]) {
      recv_bytes(comm_, tensors[i]->bytes_ptr(), bytes, source, tags::payload(channel),
                 kPutChunkBytes);
    } else if (bytes > 0) {
      std::memcpy(tensors[i]->bytes_ptr(), request.inline_payload.data() + position, bytes);
      position += bytes;
    }
    counters_.bytes_in += bytes;
  }
  // Tensors of an earlier dataset of this name that the new one does not have go away.
  if (const auto old = datasets_.find(name); old != datasets_.end()) {
    for (const auto& t : old->second.descriptor.tensors) {
      bool kept = false;
      for (const auto& n : descriptor.tensors) kept = kept || n.name == t.name;
      if (!kept) table_.erase(dataset_tensor_key(name, t.name));
    }
  }
  StoredDataset& stored = datasets_[name];
  stored.encoded.assign(reinterpret_cast<const char*>(request.inline_payload.data()),
                        descriptor_bytes);
  stored.descriptor = std::move(descriptor);
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply(source, channel, ok);
}

void MpiServer::get_dataset(const Request& request, int source) {
  const auto it = datasets_.find(std::string(request.key));
  if (it == datasets_.end()) {
    return reply_error(source, request, Status::UnknownKey, "no dataset under this name");
  }
  const StoredDataset& dataset = it->second;
  std::vector<const StoredTensor*> tensors;
  for (const auto& t : dataset.descriptor.tensors) {
    const std::string key = dataset_tensor_key(dataset.descriptor.name, t.name);
    const StoredTensor* stored = table_.find(key);
    if (stored == nullptr || stored->dtype != t.dtype || stored->bytes != t.bytes) {
      return reply_error(source, request, Status::Mismatch,
                         "its tensor '" + t.name + "' (key '" + key +
                             "') was deleted or replaced by another shape since put_dataset");
    }
    tensors.push_back(stored);
  }
  const std::vector<bool> plan = dataset.descriptor.inline_plan(
      request.header.value, protocol::kMaxInlineBytes - dataset.encoded.size());
  std::vector<std::span<const std::byte>> parts = {std::as_bytes(std::span(dataset.encoded))};
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) parts.emplace_back(tensors[i]->bytes_ptr(), tensors[i]->bytes);
  }
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply_parts(source, request.header.channel, ok, parts);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i]) send_payload(source, request.header.channel, *tensors[i]);
    counters_.bytes_out += tensors[i]->bytes;
  }
}

void MpiServer::append_to_list(const Request& request, int source) {
  const auto names = protocol::decode_names(request.key);
  if (names.size() != 2 || names[0].empty() || names[1].empty()) {
    return reply_error(source, request, Status::BadRequest,
                       "an append_to_list request names a list and a dataset");
  }
  const std::string dataset(names[1]);
  // value 1: the dataset lives on this shard too, and must be here.
  if (request.header.value == 1 && datasets_.find(dataset) == datasets_.end()) {
    return reply_error(source, request, Status::UnknownKey,
                       "no dataset '" + dataset + "' on shard " +
                           std::to_string(options_.control.shard) +
                           "; put_dataset it before appending it to a list");
  }
  auto& list = lists_[std::string(names[0])];
  list.push_back(dataset);
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  ok.value = list.size();
  reply(source, request.header.channel, ok);
}

void MpiServer::dataset_or_list(const Request& request, int source) {
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  const int channel = request.header.channel;
  const std::string name(request.key);
  const auto list = lists_.find(name);
  switch (request.op()) {
    case Op::DeleteDataset:
      if (!erase_dataset(datasets_, table_, name)) {
        return reply_error(source, request, Status::UnknownKey, "no dataset under this name");
      }
      break;
    case Op::DatasetExists:
      ok.value = datasets_.find(name) != datasets_.end() ? 1 : 0;
      break;
    case Op::ListLength:
      ok.value = list == lists_.end() ? 0 : list->second.size();
      break;
    case Op::DeleteList:
    case Op::ListRange:
      if (list == lists_.end()) {
        return reply_error(source, request, Status::UnknownKey,
                           "no list under this name (a list exists once a dataset is appended "
                           "to it, until it is deleted)");
      }
      if (request.op() == Op::DeleteList) {
        lists_.erase(list);
        break;
      } else {
        const std::vector<std::string_view> names(list->second.begin(), list->second.end());
        const std::string field = protocol::encode_names(names);
        const auto bytes = std::as_bytes(std::span(field));
        if (field.size() <= request.header.value && field.size() <= protocol::kMaxInlineBytes) {
          return reply(source, channel, ok, {}, {}, bytes);
        }
        ok.payload_bytes = field.size();
        reply(source, channel, ok);
        return send_bytes(comm_, bytes.data(), bytes.size(), source, tags::payload(channel));
      }
    default:
      return reply_error(source, request, Status::BadRequest, "not a dataset or list operation");
  }
  reply(source, channel, ok);
}

}  // namespace scalestudy::store::mpi
