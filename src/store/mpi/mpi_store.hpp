// The client side of the mpi backend: Store verbs as request frames to database ranks.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::mpi {

/// A database rank a client may talk to.
struct ShardAddress {
  int shard;       ///< shard index in the job
  int world_rank;  ///< rank in the store communicator
};

class MpiStore final : public Store {
 public:
  /// Says hello to every shard in `shards` (slots are split over them in this order).
  /// `comm` is the store communicator, duplicated collectively by every rank of the job.
  /// Throws StoreError if a shard speaks another protocol version.
  MpiStore(MPI_Comm comm, std::vector<ShardAddress> shards, std::uint64_t inline_bytes,
           int channel = 0);
  /// Says goodbye to every shard (what lets database ranks shut down); never throws.
  ~MpiStore() override;
  MpiStore(const MpiStore&) = delete;
  MpiStore& operator=(const MpiStore&) = delete;

  void put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) override;
  void unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype) override;
  Tensor get_tensor(std::string_view key) override;
  void delete_tensor(std::string_view key) override;
  bool tensor_exists(std::string_view key) override;
  std::vector<ShardCounters> info() override;
  int shard_of(std::string_view key) const override;

  /// Sends goodbye to every shard now (idempotent). Throws MpiError on failure.
  void close();

  /// The store communicator (for the raw baseline and tests that talk to ranks directly).
  MPI_Comm communicator() const { return comm_; }

 private:
  const ShardAddress& target(std::string_view key) const;
  /// Sends a request frame and returns the decoded reply. Error statuses become StoreError.
  protocol::Reply call(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                       std::string_view key, std::span<const std::byte> inline_payload = {});
  /// Sends a request frame; returns its request id.
  std::uint64_t send_request(const ShardAddress& shard, protocol::RequestHeader header, Dims dims,
                             std::string_view key, std::span<const std::byte> inline_payload);
  /// Waits for the reply to `request_id`. Error statuses become StoreError.
  protocol::Reply await_reply(const ShardAddress& shard, Op op, std::string_view key,
                              std::uint64_t request_id);
  [[noreturn]] void fail(Op op, std::string_view key, const ShardAddress& shard,
                         std::string_view reason) const;
  /// Bytes of a tensor of `dims` and `dtype`, or StoreError naming op, key and shard.
  std::uint64_t checked_bytes(Op op, std::string_view key, const ShardAddress& shard, Dims dims,
                              DType dtype) const;
  std::byte* receive_payload(const protocol::Reply& reply, const ShardAddress& shard,
                             std::byte* out);

  MPI_Comm comm_;
  std::vector<ShardAddress> shards_;
  std::uint64_t inline_bytes_;
  int channel_;
  std::uint64_t next_request_id_ = 1;
  std::vector<std::byte> request_frame_;
  std::vector<std::byte> reply_frame_;
  bool closed_ = false;
};

}  // namespace scalestudy::store::mpi
