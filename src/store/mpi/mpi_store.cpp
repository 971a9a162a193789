// Client side of the mpi store: one request frame per verb, payloads straight from and into
// the caller's memory above the inline threshold.
#include "store/mpi/mpi_store.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/mpi/transport.hpp"
#include "store/sharding.hpp"

namespace scalestudy::store::mpi {

using protocol::Reply;
using protocol::RequestHeader;
using protocol::Status;

MpiStore::MpiStore(MPI_Comm comm, std::vector<ShardAddress> shards, std::uint64_t inline_bytes,
                   int channel)
    : comm_(comm),
      shards_(std::move(shards)),
      inline_bytes_(std::min<std::uint64_t>(inline_bytes, protocol::kMaxInlineBytes)),
      channel_(channel),
      request_frame_(protocol::kMaxFrameBytes),
      reply_frame_(protocol::kMaxFrameBytes) {
  if (shards_.empty()) throw StoreError("mpi store: this client has no database shard to use");
  if (channel < 0 || channel >= tags::kMaxChannels) {
    throw StoreError("mpi store: channel " + std::to_string(channel) + " out of range");
  }
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::Hello);
    header.value = protocol::kVersion;
    const Reply reply = call(shard, header, {}, {});
    if (reply.header.value < protocol::kMaxFrameBytes) {
      fail(Op::Hello, "", shard,
           "database rank accepts frames of only " + std::to_string(reply.header.value) + " bytes");
    }
  }
}

MpiStore::~MpiStore() {
  try {
    close();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "mpi store: goodbye failed: %s\n", error.what());
  }
}

void MpiStore::close() {
  if (closed_) return;
  closed_ = true;
  for (const auto& shard : shards_) {
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::Goodbye);
    header.channel = static_cast<std::uint16_t>(channel_);
    const std::size_t size = protocol::encode_request(request_frame_, header, {}, {});
    core::mpi_call(MPI_Send(request_frame_.data(), static_cast<int>(size), MPI_BYTE,
                            shard.world_rank, tags::kRequest, comm_),
                   "MPI_Send(goodbye)");
  }
}

const ShardAddress& MpiStore::target(std::string_view key) const {
  return shards_[static_cast<std::size_t>(
      shard_of_slot(hash_slot(key), static_cast<int>(shards_.size())))];
}

int MpiStore::shard_of(std::string_view key) const { return target(key).shard; }

void MpiStore::fail(Op op, std::string_view key, const ShardAddress& shard,
                    std::string_view reason) const {
  throw StoreError(std::string(op_name(op)) + (key.empty() ? "" : " '" + std::string(key) + "'") +
                   " on shard " + std::to_string(shard.shard) + " (rank " +
                   std::to_string(shard.world_rank) + "): " + std::string(reason));
}

Reply MpiStore::call(const ShardAddress& shard, RequestHeader header, Dims dims,
                     std::string_view key, std::span<const std::byte> inline_payload) {
  const std::uint64_t id = send_request(shard, header, dims, key, inline_payload);
  return await_reply(shard, static_cast<Op>(header.op), key, id);
}

std::uint64_t MpiStore::send_request(const ShardAddress& shard, RequestHeader header, Dims dims,
                                     std::string_view key,
                                     std::span<const std::byte> inline_payload) {
  if (closed_) fail(static_cast<Op>(header.op), key, shard, "the store was closed");
  header.channel = static_cast<std::uint16_t>(channel_);
  header.request_id = next_request_id_++;
  std::size_t size = 0;
  try {
    size = protocol::encode_request(request_frame_, header, dims, key, inline_payload);
  } catch (const StoreError& error) {
    fail(static_cast<Op>(header.op), key, shard, error.what());
  }
  core::mpi_call(MPI_Send(request_frame_.data(), static_cast<int>(size), MPI_BYTE, shard.world_rank,
                          tags::kRequest, comm_),
                 "MPI_Send(request)");
  return header.request_id;
}

Reply MpiStore::await_reply(const ShardAddress& shard, Op op, std::string_view key,
                            std::uint64_t request_id) {
  MPI_Status status;
  core::mpi_call(MPI_Recv(reply_frame_.data(), static_cast<int>(reply_frame_.size()), MPI_BYTE,
                          shard.world_rank, tags::reply(channel_), comm_, &status),
                 "MPI_Recv(reply)");
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  const Reply reply = protocol::decode_reply(
      std::span<const std::byte>(reply_frame_.data(), static_cast<std::size_t>(count)));
  if (reply.header.request_id != request_id) {
    fail(op, key, shard,
         "reply to request " + std::to_string(reply.header.request_id) + " while waiting for " +
             std::to_string(request_id));
  }
  if (reply.status() != Status::Ok) {
    fail(op, key, shard,
         std::string(protocol::status_text(reply.status())) + ": " + std::string(reply.text));
  }
  return reply;
}

std::byte* MpiStore::receive_payload(const Reply& reply, const ShardAddress& shard,
                                     std::byte* out) {
  if (reply.has_inline_payload()) {
    if (!reply.inline_payload.empty()) {
      std::memcpy(out, reply.inline_payload.data(), reply.inline_payload.size());
    }
  } else {
    recv_bytes(comm_, out, reply.header.payload_bytes, shard.world_rank, tags::payload(channel_));
  }
  return out;
}

std::uint64_t MpiStore::checked_bytes(Op op, std::string_view key, const ShardAddress& shard,
                                      Dims dims, DType dtype) const {
  try {
    return tensor_bytes(dims, dtype);
  } catch (const StoreError& error) {
    fail(op, key, shard, error.what());
  }
}

void MpiStore::put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) {
  const ShardAddress& shard = target(key);
  const std::uint64_t bytes = checked_bytes(Op::PutTensor, key, shard, dims, dtype);
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::PutTensor);
  header.dtype = static_cast<std::uint8_t>(dtype);
  const auto* bytes_in = static_cast<const std::byte*>(data);
  if (bytes <= inline_bytes_) {
    call(shard, header, dims, key, std::span<const std::byte>(bytes_in, bytes));
    return;
  }
  // The payload follows the frame at once, straight from the caller's buffer; the reply comes
  // when the database rank holds it (or has refused and drained it).
  header.payload_bytes = bytes;
  const std::uint64_t id = send_request(shard, header, dims, key, {});
  send_bytes(comm_, bytes_in, bytes, shard.world_rank, tags::payload(channel_), kPutChunkBytes);
  await_reply(shard, Op::PutTensor, key, id);
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
    fail(Op::UnpackTensor, key, shard,
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
  if (!dtype) fail(Op::GetTensor, key, shard, "reply has no valid dtype");
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
      fail(Op::Info, "", shard,
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
