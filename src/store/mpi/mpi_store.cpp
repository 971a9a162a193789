// Client side of the mpi store: one request frame per verb, payloads straight from and into
// the caller's memory above the inline threshold.
#include "store/mpi/mpi_store.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "store/control/transport.hpp"
#include "store/sharding.hpp"

namespace scalestudy::store::mpi {

using control::kPutChunkBytes;
using control::recv_bytes;
using control::RequestChannel;
using control::send_bytes;
using control::ShardAddress;
namespace tags = control::tags;

using protocol::Reply;
using protocol::RequestHeader;

namespace {

/// Checked before any hello: a client whose channels do not fit must not open a session.
int checked_requests_in_flight(int channel, int requests_in_flight) {
  if (requests_in_flight < 1 || channel + requests_in_flight >= tags::kMaxChannels) {
    throw StoreError("mpi store: " + std::to_string(requests_in_flight) +
                     " requests in flight from channel " + std::to_string(channel) + " (1 to " +
                     std::to_string(tags::kMaxChannels - 1 - channel) + ")");
  }
  return requests_in_flight;
}

}  // namespace

MpiStore::MpiStore(MPI_Comm comm, std::vector<ShardAddress> shards, std::uint64_t inline_bytes,
                   int channel, core::WaitPolicy wait, int requests_in_flight)
    : comm_(comm),
      inline_bytes_(std::min<std::uint64_t>(inline_bytes, protocol::kMaxInlineBytes)),
      wait_(wait),
      requests_in_flight_(checked_requests_in_flight(channel, requests_in_flight)),
      session_(comm, std::move(shards), "mpi", channel, wait) {}

void MpiStore::close() { session_.close(); }

const ShardAddress& MpiStore::target(std::string_view key) const {
  return shards_[shard_position(key, shards_.size())];
}

int MpiStore::shard_of(std::string_view key) const { return target(key).shard; }

Reply MpiStore::call(const ShardAddress& shard, RequestHeader header, Dims dims,
                     std::string_view key, std::span<const std::byte> inline_payload) {
  const std::uint64_t id = send_request(shard, header, dims, key, inline_payload);
  return channel_.await(shard, static_cast<Op>(header.op), key, id);
}

std::uint64_t MpiStore::send_request(const ShardAddress& shard, RequestHeader header, Dims dims,
                                     std::string_view key,
                                     std::span<const std::byte> inline_payload) {
  if (session_.closed())
    RequestChannel::fail(static_cast<Op>(header.op), key, shard, "the store was closed");
  return channel_.send(shard, header, dims, key, inline_payload);
}

std::byte* MpiStore::receive_payload(const Reply& reply, const ShardAddress& shard,
                                     std::byte* out) {
  if (reply.has_inline_payload()) {
    if (!reply.inline_payload.empty()) {
      std::memcpy(out, reply.inline_payload.data(), reply.inline_payload.size());
    }
  } else {
    recv_bytes(comm_, out, reply.header.payload_bytes, shard.world_rank,
               tags::payload(channel_.channel()));
  }
  return out;
}

std::uint64_t MpiStore::checked_bytes(Op op, std::string_view key, const ShardAddress& shard,
                                      Dims dims, DType dtype) const {
  try {
    return tensor_bytes(dims, dtype);
  } catch (const StoreError& error) {
    RequestChannel::fail(op, key, shard, error.what());
  }
}

void MpiStore::put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) {
  const ShardAddress& shard = target(key);
  const std::uint64_t bytes = checked_bytes(Op::PutTensor, key, shard, dims, dtype);
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::PutTensor);
  header.dtype = static_cast<std::uint8_t>(dtype);
  call_with_payload(shard, header, dims, key,
                    std::span<const std::byte>(static_cast<const std::byte*>(data), bytes), key);
}

Reply MpiStore::call_with_payload(const ShardAddress& shard, RequestHeader header, Dims dims,
                                  std::string_view key, std::span<const std::byte> payload,
                                  std::string_view label) {
  if (payload.size() <= inline_bytes_) {
    return channel_.await(shard, static_cast<Op>(header.op), label,
                          send_request(shard, header, dims, key, payload));
  }
  // The payload follows the frame at once, straight from the caller's buffer; the reply comes
  // when the database rank holds it (or has refused and drained it).
  header.payload_bytes = payload.size();
  const std::uint64_t id = send_request(shard, header, dims, key, {});
  send_bytes(comm_, payload.data(), payload.size(), shard.world_rank,
             tags::payload(channel_.channel()), kPutChunkBytes);
  return channel_.await(shard, static_cast<Op>(header.op), label, id);
}

void MpiStore::set_model(std::string_view key, std::span<const std::byte> model,
                         const ModelOptions& options) {
  const auto dims = protocol::model_options_dims(options);
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::SetModel);
    call_with_payload(shard, header, dims, key, model, key);
  }
}

void MpiStore::set_script(std::string_view key, std::string_view source) {
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::SetScript);
    call_with_payload(shard, header, {}, key, std::as_bytes(std::span(source)), key);
  }
}

const ShardAddress& MpiStore::model_target(Op op, std::string_view key,
                                           const std::vector<std::string>& inputs,
                                           const std::vector<std::string>& outputs) const {
  if (inputs.empty()) {
    RequestChannel::fail(op, key, target(key), "needs at least one input key");
  }
  const ShardAddress& shard = target(inputs.front());
  for (const auto* names : {&inputs, &outputs}) {
    for (const auto& name : *names) {
      const ShardAddress& other = target(name);
      if (other.shard != shard.shard) {
        RequestChannel::fail(op, key, shard,
                             "inputs and outputs must be on one shard, but '" + inputs.front() +
                                 "' is on shard " + std::to_string(shard.shard) + " and '" + name +
                                 "' on shard " + std::to_string(other.shard) +
                                 "; give them a common hash tag, e.g. '{job}" + name + "'");
      }
    }
  }
  return shard;
}

void MpiStore::run_model(std::string_view key, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs) {
  const ShardAddress& shard = model_target(Op::RunModel, key, inputs, outputs);
  std::vector<std::string_view> names = {key};
  names.insert(names.end(), inputs.begin(), inputs.end());
  names.insert(names.end(), outputs.begin(), outputs.end());
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::RunModel);
  header.value = inputs.size();
  channel_.await(shard, Op::RunModel, key,
                 send_request(shard, header, {}, protocol::encode_names(names), {}));
}

void MpiStore::run_script(std::string_view key, std::string_view function,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs) {
  const ShardAddress& shard = model_target(Op::RunScript, key, inputs, outputs);
  std::vector<std::string_view> names = {key, function};
  names.insert(names.end(), inputs.begin(), inputs.end());
  names.insert(names.end(), outputs.begin(), outputs.end());
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::RunScript);
  header.value = inputs.size();
  channel_.await(shard, Op::RunScript, key,
                 send_request(shard, header, {}, protocol::encode_names(names), {}));
}

bool MpiStore::model_exists(std::string_view key) {
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::ModelExists);
    if (call(shard, header, {}, key).header.value == 0) return false;
  }
  return true;
}

void MpiStore::unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype) {
  const ShardAddress& shard = target(key);
  const std::uint64_t bytes = checked_bytes(Op::UnpackTensor, key, shard, dims, dtype);
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::UnpackTensor);
  header.dtype = static_cast<std::uint8_t>(dtype);
  header.payload_bytes = bytes;  // what the buffer holds
  header.value = inline_bytes_;  // largest payload this client takes inline
  const Reply reply = call(shard, header, dims, key);
  if (reply.header.payload_bytes != bytes) {
    RequestChannel::fail(Op::UnpackTensor, key, shard,
                         "database rank sent " + std::to_string(reply.header.payload_bytes) +
                             " bytes for a buffer of " + std::to_string(bytes));
  }
  receive_payload(reply, shard, static_cast<std::byte*>(out));
}

Tensor MpiStore::get_tensor(std::string_view key) {
  const ShardAddress& shard = target(key);
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::GetTensor);
  header.value = inline_bytes_;
  const Reply reply = call(shard, header, {}, key);
  const auto dtype = dtype_from_code(reply.header.dtype);
  if (!dtype) RequestChannel::fail(Op::GetTensor, key, shard, "reply has no valid dtype");
  Tensor tensor;
  tensor.dtype = *dtype;
  tensor.dims.assign(reply.dims().begin(), reply.dims().end());
  tensor.data = AlignedBuffer(reply.header.payload_bytes);
  receive_payload(reply, shard, tensor.data.data());
  return tensor;
}

void MpiStore::delete_tensor(std::string_view key) {
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::DeleteTensor);
  call(target(key), header, {}, key);
}

bool MpiStore::tensor_exists(std::string_view key) {
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::TensorExists);
  return call(target(key), header, {}, key).header.value != 0;
}

std::vector<ShardCounters> MpiStore::info() {
  std::vector<ShardCounters> all;
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::Info);
    const Reply reply = call(shard, header, {}, {});
    if (reply.inline_payload.size() != sizeof(ShardCounters)) {
      RequestChannel::fail(Op::Info, "", shard,
                           "reply of " + std::to_string(reply.inline_payload.size()) +
                               " bytes is not a counters record");
    }
    ShardCounters counters;
    std::memcpy(&counters, reply.inline_payload.data(), sizeof(counters));
    all.push_back(counters);
  }
  return all;
}

}  // namespace scalestudy::store::mpi
