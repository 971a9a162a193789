// A client's request/reply frames to database ranks over MPI: numbering, matching, hello and
// goodbye. The mpi store sends every verb through it; other backends only say hello and goodbye.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::control {

/// A database rank a client may talk to.
struct ShardAddress {
  int shard;       ///< shard index in the job
  int world_rank;  ///< rank in the store communicator
};

class RequestChannel {
 public:
  /// `comm` is the store communicator; replies arrive on `channel`'s tag. Waiting for a reply
  /// polls, then sleeps as `wait` says. Throws StoreError if the channel is out of range.
  RequestChannel(MPI_Comm comm, int channel, core::WaitPolicy wait = {});
  /// Cancels a reply receive still posted (a request abandoned by an exception).
  ~RequestChannel();
  RequestChannel(const RequestChannel&) = delete;
  RequestChannel& operator=(const RequestChannel&) = delete;

  /// Checks that `shard` speaks this protocol version and takes full frames.
  /// Throws StoreError naming the shard otherwise.
  void hello(const ShardAddress& shard);

  /// Tells `shard` this client is done (no reply). `client_errors`: errors the client raised
  /// on its own that the database rank could not count (external backends), added to its
  /// counters. Throws MpiError.
  void goodbye(const ShardAddress& shard, std::uint64_t client_errors = 0);

  /// Sends a request frame; returns its request id. Throws StoreError (via fail) if the frame
  /// cannot be encoded, MpiError if MPI fails.
  std::uint64_t send(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                     std::string_view key, std::span<const std::byte> inline_payload = {});

  /// send with the inline payload gathered from `parts`.
  std::uint64_t send_parts(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                           std::string_view key, protocol::PayloadParts parts);

  /// Waits for the reply to `request_id`. Error statuses become StoreError naming op, key and
  /// shard. The reply points into this channel's buffer until the next call.
  protocol::Reply await(const ShardAddress& shard, Op op, std::string_view key,
                        std::uint64_t request_id);

  /// Nonblocking request: posts the receive of the reply, then sends the frame with
  /// MPI_Isend; returns the request id. One started request per channel at a time: test it
  /// until it is done, then finish it. Throws StoreError (encoding) or MpiError.
  std::uint64_t start(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                      std::string_view key);

  /// Whether the started request's frame has left and its reply has arrived. Throws MpiError.
  bool test();

  /// The reply that arrived (after test() returned true): decoded, its id and status checked
  /// (error statuses become StoreError as in await).
  protocol::Reply finish(const ShardAddress& shard, Op op, std::string_view key,
                         std::uint64_t request_id);

  /// send, then await.
  protocol::Reply call(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                       std::string_view key, std::span<const std::byte> inline_payload = {}) {
    const std::uint64_t id = send(shard, header, dims, key, inline_payload);
    return await(shard, static_cast<Op>(header.op), key, id);
  }

  /// Throws StoreError("<op> '<key>' on shard <s> (rank <r>): <reason>").
  [[noreturn]] static void fail(Op op, std::string_view key, const ShardAddress& shard,
                                std::string_view reason);

  MPI_Comm comm() const { return comm_; }
  int channel() const { return channel_; }

 private:
  MPI_Comm comm_;
  int channel_;
  core::WaitPolicy wait_;
  std::uint64_t next_request_id_ = 1;
  /// Posts the receive of the next reply frame from `shard` into reply_frame_.
  void post_reply(const ShardAddress& shard);

  std::vector<std::byte> request_frame_;
  std::vector<std::byte> reply_frame_;
  /// Reply receive and (for start) frame send in progress.
  std::array<MPI_Request, 2> pending_{MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  MPI_Status reply_status_{};
};

}  // namespace scalestudy::store::control
