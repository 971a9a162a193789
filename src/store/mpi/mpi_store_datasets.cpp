// Datasets and lists on the client side of the mpi store: put_dataset sends small tensors inside
// its frame and large ones straight from their memory; get_datasets_from_list keeps up to
// requests_in_flight get_dataset requests outstanding, one per channel, over all shards at once.
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"
#include "store/mpi/mpi_store.hpp"

namespace scalestudy::store::mpi {

using control::kPutChunkBytes;
using control::post_recv_bytes;
using control::recv_bytes;
using control::RequestChannel;
using control::send_bytes;
using control::ShardAddress;
namespace tags = control::tags;

using protocol::Reply;
using protocol::RequestHeader;

namespace {

RequestHeader header_of(Op op, std::uint64_t value = 0) {
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(op);
  header.value = value;
  return header;
}

/// A list name must be usable as a key field entry (NUL separates names).
void check_list_name(Op op, std::string_view list, const ShardAddress& shard) {
  if (list.empty() || list.size() > kMaxDataSetNameBytes ||
      list.find('\0') != std::string_view::npos) {
    RequestChannel::fail(op, list, shard,
                         "bad request: a list name has 1 to " +
                             std::to_string(kMaxDataSetNameBytes) + " bytes and no NUL byte");
  }
}

}  // namespace

void MpiStore::put_dataset(const DataSet& dataset) {
  const ShardAddress& shard = target(dataset.name());
  const DataSetDescriptor descriptor = DataSetDescriptor::of(dataset);
  const std::string encoded = descriptor.encode();
  if (encoded.size() > protocol::kMaxInlineBytes) {
    RequestChannel::fail(Op::PutDataset, dataset.name(), shard,
                         "bad request: the dataset's descriptor (names, shapes, metadata) takes " +
                             std::to_string(encoded.size()) + " bytes, more than " +
                             std::to_string(protocol::kMaxInlineBytes) +
                             "; use fewer tensors or less metadata");
  }
  // The descriptor, then the small tensors, go inside the frame; the others follow it, each
  // straight from its memory, in tensor order (the database rank computes the same plan).
  const std::vector<bool> plan =
      descriptor.inline_plan(inline_bytes_, protocol::kMaxInlineBytes - encoded.size());
  std::vector<std::span<const std::byte>> parts = {std::as_bytes(std::span(encoded))};
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) parts.push_back(dataset.tensors()[i].span());
  }
  if (session_.closed())
    RequestChannel::fail(Op::PutDataset, dataset.name(), shard, "the store was closed");
  const std::uint64_t id = channel_.send_parts(shard, header_of(Op::PutDataset, inline_bytes_), {},
                                               dataset.name(), parts);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) continue;
    const auto bytes = dataset.tensors()[i].span();
    send_bytes(comm_, bytes.data(), bytes.size(), shard.world_rank,
               tags::payload(channel_.channel()), kPutChunkBytes);
  }
  channel_.await(shard, Op::PutDataset, dataset.name(), id);
}

DataSet MpiStore::get_dataset(std::string_view name) {
  return std::move(fetch_datasets({std::string(name)}).front());
}

void MpiStore::delete_dataset(std::string_view name) {
  call(target(name), header_of(Op::DeleteDataset), {}, name);
}

bool MpiStore::dataset_exists(std::string_view name) {
  return call(target(name), header_of(Op::DatasetExists), {}, name).header.value != 0;
}

void MpiStore::append_to_list(std::string_view list, const DataSet& dataset) {
  const ShardAddress& list_shard = target(list);
  const ShardAddress& dataset_shard = target(dataset.name());
  check_list_name(Op::AppendToList, list, list_shard);
  // Messages name both: "append_to_list 'iteration_3', dataset 'aggregation_rank_0' on ...".
  const std::string label = std::string(list) + "', dataset '" + dataset.name();
  const bool same_shard = list_shard.shard == dataset_shard.shard;
  if (!same_shard && !dataset_exists(dataset.name())) {
    RequestChannel::fail(Op::AppendToList, label, dataset_shard,
                         "unknown key: no dataset '" + dataset.name() + "' on shard " +
                             std::to_string(dataset_shard.shard) +
                             "; put_dataset it before appending it to a list");
  }
  // On one shard, the database rank checks that the dataset exists itself (value 1).
  RequestHeader header = header_of(Op::AppendToList, same_shard ? 1 : 0);
  const std::string field = protocol::encode_names({list, dataset.name()});
  channel_.await(list_shard, Op::AppendToList, label,
                 send_request(list_shard, header, {}, field, {}));
}

std::uint64_t MpiStore::get_list_length(std::string_view list) {
  return call(target(list), header_of(Op::ListLength), {}, list).header.value;
}

std::vector<std::string> MpiStore::list_names(std::string_view list) {
  const ShardAddress& shard = target(list);
  const Reply reply = call(shard, header_of(Op::ListRange, inline_bytes_), {}, list);
  std::string field(reply.header.payload_bytes, '\0');
  if (reply.has_inline_payload()) {
    std::memcpy(field.data(), reply.inline_payload.data(), reply.inline_payload.size());
  } else {
    recv_bytes(comm_, reinterpret_cast<std::byte*>(field.data()), field.size(), shard.world_rank,
               tags::payload(channel_.channel()));
  }
  std::vector<std::string> names;
  for (const auto name : protocol::decode_names(field)) names.emplace_back(name);
  return names;
}

std::vector<DataSet> MpiStore::get_datasets_from_list(std::string_view list) {
  return fetch_datasets(list_names(list));
}

void MpiStore::delete_list(std::string_view list) {
  call(target(list), header_of(Op::DeleteList), {}, list);
}

void MpiStore::start_fetch(FetchSlot& slot, const std::vector<std::string>& names,
                           std::size_t index) {
  slot.index = index;
  slot.shard = &target(names[index]);
  slot.busy = true;
  slot.receiving = false;
  if (session_.closed())
    RequestChannel::fail(Op::GetDataset, names[index], *slot.shard, "the store was closed");
  slot.request_id =
      slot.channel.start(*slot.shard, header_of(Op::GetDataset, inline_bytes_), {}, names[index]);
}

void MpiStore::receive_fetch(FetchSlot& slot, const std::string& name) {
  const Reply reply = slot.channel.finish(*slot.shard, Op::GetDataset, name, slot.request_id);
  const auto frame = reply.inline_payload;
  std::uint64_t descriptor_bytes = 0;
  try {
    slot.descriptor = DataSetDescriptor::decode(frame);
    descriptor_bytes = DataSetDescriptor::encoded_size(frame);
  } catch (const StoreError& error) {
    RequestChannel::fail(Op::GetDataset, name, *slot.shard, error.what());
  }
  const std::vector<bool> plan =
      slot.descriptor.inline_plan(inline_bytes_, protocol::kMaxInlineBytes - descriptor_bytes);
  std::uint64_t inline_bytes = descriptor_bytes;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i]) inline_bytes += slot.descriptor.tensors[i].bytes;
  }
  if (slot.descriptor.name != name || inline_bytes != frame.size()) {
    RequestChannel::fail(Op::GetDataset, name, *slot.shard,
                         "malformed reply: dataset '" + slot.descriptor.name + "' in a frame of " +
                             std::to_string(frame.size()) + " bytes (expected " +
                             std::to_string(inline_bytes) + ")");
  }
  std::uint64_t total = 0;
  slot.offsets = slot.descriptor.offsets(total);
  // One buffer per dataset; tensors land in it straight from the database rank's memory.
  slot.buffer = dataset_buffers_.acquire(total);
  std::uint64_t position = descriptor_bytes;
  slot.payloads.clear();
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& tensor = slot.descriptor.tensors[i];
    std::byte* out = slot.buffer->data() + slot.offsets[i];
    if (!plan[i]) {
      post_recv_bytes(comm_, out, tensor.bytes, slot.shard->world_rank,
                      tags::payload(slot.channel.channel()), slot.payloads);
    } else if (tensor.bytes > 0) {
      std::memcpy(out, frame.data() + position, tensor.bytes);
      position += tensor.bytes;
    }
  }
  slot.receiving = true;
}

std::vector<DataSet> MpiStore::fetch_datasets(const std::vector<std::string>& names) {
  while (static_cast<int>(fetch_slots_.size()) < requests_in_flight_) {
    const int channel = channel_.channel() + 1 + static_cast<int>(fetch_slots_.size());
    fetch_slots_.push_back(std::make_unique<FetchSlot>(comm_, channel, wait_));
  }
  std::vector<std::optional<DataSet>> fetched(names.size());
  std::size_t next = 0;
  std::string first_error;
  core::Backoff backoff(wait_);
  // Every slot runs to its end even after an error: a database rank that is sending a
  // payload waits for its receive, and an abandoned reply would arrive on a later request.
  for (;;) {
    bool progressed = false;
    bool busy = false;
    for (auto& owned : fetch_slots_) {
      FetchSlot& slot = *owned;
      try {
        if (!slot.busy) {
          if (next == names.size() || !first_error.empty()) continue;
          start_fetch(slot, names, next++);
          progressed = true;
        } else if (!slot.receiving) {
          if (!slot.channel.test()) {
            busy = true;
            continue;
          }
          receive_fetch(slot, names[slot.index]);
          progressed = true;
        }
        if (slot.receiving) {
          int done = 0;
          core::mpi_call(MPI_Testall(static_cast<int>(slot.payloads.size()), slot.payloads.data(),
                                     &done, MPI_STATUSES_IGNORE),
                         "MPI_Testall(dataset payloads)");
          if (!done) {
            busy = true;
            continue;
          }
          fetched[slot.index] = make_dataset(slot.descriptor, std::move(slot.buffer), slot.offsets);
          slot.busy = slot.receiving = false;
          progressed = true;
        } else if (slot.busy) {
          busy = true;
        }
      } catch (const StoreError& error) {
        if (first_error.empty()) first_error = error.what();
        slot.busy = slot.receiving = false;
        progressed = true;
      }
    }
    if (!busy && (next == names.size() || !first_error.empty())) break;
    if (progressed) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
  if (!first_error.empty()) throw StoreError(first_error);
  std::vector<DataSet> out;
  out.reserve(names.size());
  for (auto& dataset : fetched) out.push_back(std::move(*dataset));
  return out;
}

}  // namespace scalestudy::store::mpi
