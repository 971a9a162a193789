// Request frames out, matched reply frames back, on one client channel.
#include "store/control/request_channel.hpp"

#include <string>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"

namespace scalestudy::store::control {

using protocol::Reply;
using protocol::RequestHeader;
using protocol::Status;

RequestChannel::RequestChannel(MPI_Comm comm, int channel, core::WaitPolicy wait)
    : comm_(comm),
      channel_(channel),
      wait_(wait),
      request_frame_(protocol::kMaxFrameBytes),
      reply_frame_(protocol::kMaxFrameBytes) {
  if (channel < 0 || channel >= tags::kMaxChannels) {
    throw StoreError("store client: channel " + std::to_string(channel) + " out of range");
  }
}

RequestChannel::~RequestChannel() {
  for (auto& request : pending_) {
    if (request == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  }
}

void RequestChannel::fail(Op op, std::string_view key, const ShardAddress& shard,
                          std::string_view reason) {
  throw StoreError(std::string(op_name(op)) + (key.empty() ? "" : " '" + std::string(key) + "'") +
                   " on shard " + std::to_string(shard.shard) + " (rank " +
                   std::to_string(shard.world_rank) + "): " + std::string(reason));
}

void RequestChannel::hello(const ShardAddress& shard) {
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::Hello);
  header.value = protocol::kVersion;
  const Reply reply = call(shard, header, {}, {});
  if (reply.header.value < protocol::kMaxFrameBytes) {
    fail(Op::Hello, "", shard,
         "database rank accepts frames of only " + std::to_string(reply.header.value) + " bytes");
  }
}

void RequestChannel::goodbye(const ShardAddress& shard, std::uint64_t client_errors) {
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::Goodbye);
  header.channel = static_cast<std::uint16_t>(channel_);
  header.value = client_errors;
  const std::size_t size = protocol::encode_request(request_frame_, header, {}, {});
  core::mpi_call(MPI_Send(request_frame_.data(), static_cast<int>(size), MPI_BYTE, shard.world_rank,
                          tags::kRequest, comm_),
                 "MPI_Send(goodbye)");
}

std::uint64_t RequestChannel::send(const ShardAddress& shard, RequestHeader header, Dims dims,
                                   std::string_view key,
                                   std::span<const std::byte> inline_payload) {
  return send_parts(shard, header, dims, key, protocol::PayloadParts(&inline_payload, 1));
}

std::uint64_t RequestChannel::send_parts(const ShardAddress& shard, RequestHeader header, Dims dims,
                                         std::string_view key, protocol::PayloadParts parts) {
  header.channel = static_cast<std::uint16_t>(channel_);
  header.request_id = next_request_id_++;
  std::size_t size = 0;
  try {
    size = protocol::encode_request_parts(request_frame_, header, dims, key, parts);
  } catch (const StoreError& error) {
    fail(static_cast<Op>(header.op), key, shard, error.what());
  }
  core::mpi_call(MPI_Send(request_frame_.data(), static_cast<int>(size), MPI_BYTE, shard.world_rank,
                          tags::kRequest, comm_),
                 "MPI_Send(request)");
  return header.request_id;
}

void RequestChannel::post_reply(const ShardAddress& shard) {
  core::mpi_call(MPI_Irecv(reply_frame_.data(), static_cast<int>(reply_frame_.size()), MPI_BYTE,
                           shard.world_rank, tags::reply(channel_), comm_, &pending_[0]),
                 "MPI_Irecv(reply)");
}

Reply RequestChannel::await(const ShardAddress& shard, Op op, std::string_view key,
                            std::uint64_t request_id) {
  // Poll briefly (small requests answer within microseconds), then sleep: a client waiting for
  // a model must leave its core to the database rank's workers.
  post_reply(shard);
  core::Backoff backoff(wait_);
  for (int done = 0;;) {
    core::mpi_call(MPI_Test(&pending_[0], &done, &reply_status_), "MPI_Test(reply)");
    if (done) break;
    backoff.pause();
  }
  return finish(shard, op, key, request_id);
}

std::uint64_t RequestChannel::start(const ShardAddress& shard, RequestHeader header, Dims dims,
                                    std::string_view key) {
  header.channel = static_cast<std::uint16_t>(channel_);
  header.request_id = next_request_id_++;
  std::size_t size = 0;
  try {
    size = protocol::encode_request(request_frame_, header, dims, key);
  } catch (const StoreError& error) {
    fail(static_cast<Op>(header.op), key, shard, error.what());
  }
  // The reply's receive is posted first; the frame is sent without waiting, so that a client
  // with many requests in flight never blocks in a send while a database rank waits for it to
  // take a payload.
  post_reply(shard);
  core::mpi_call(MPI_Isend(request_frame_.data(), static_cast<int>(size), MPI_BYTE,
                           shard.world_rank, tags::kRequest, comm_, &pending_[1]),
                 "MPI_Isend(request)");
  return header.request_id;
}

bool RequestChannel::test() {
  int done = 0;
  MPI_Status statuses[2];
  core::mpi_call(MPI_Testall(2, pending_.data(), &done, statuses), "MPI_Testall(request)");
  if (done) reply_status_ = statuses[0];
  return done != 0;
}

Reply RequestChannel::finish(const ShardAddress& shard, Op op, std::string_view key,
                             std::uint64_t request_id) {
  int count = 0;
  MPI_Get_count(&reply_status_, MPI_BYTE, &count);
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

}  // namespace scalestudy::store::control
