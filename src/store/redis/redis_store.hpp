// The client side of the redis backend: Store verbs as Redis commands on each shard's
// redis-server, keys sharded on the client side exactly as the mpi backend does.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "store/mpi/request_channel.hpp"
#include "store/redis/redis_connection.hpp"
#include "store/store.hpp"

namespace scalestudy::store::redis {

/// Tensors are Redis strings: a TensorHeader, ndim dims (uint64, little-endian), then the raw
/// bytes. The header is what lets unpack_tensor check dtype and size as the mpi backend does.
struct TensorHeader {
  static constexpr std::uint32_t kMagic = 0x4E545353;  // "SSTN"
  std::uint32_t magic = kMagic;
  std::uint8_t version = 1;
  std::uint8_t dtype = 0;
  std::uint8_t ndim = 0;
  std::uint8_t reserved = 0;
};
static_assert(sizeof(TensorHeader) == 8);

/// Largest tensor value Redis takes by default (proto-max-bulk-len, 512 MB).
inline constexpr std::uint64_t kMaxValueBytes = std::uint64_t{512} << 20;

class RedisStore final : public Store {
 public:
  /// Says hello to each shard's database rank over `comm` (so that it waits for this client's
  /// goodbye), then connects to each shard's redis-server (`endpoints`, in the order of
  /// `ranks`) within `connect_timeout_ms`. Throws StoreError naming the shard and address; the
  /// database ranks are told goodbye before it does.
  RedisStore(MPI_Comm comm, std::vector<mpi::ShardAddress> ranks,
             std::vector<RedisEndpoint> endpoints, int connect_timeout_ms, int io_timeout_ms);
  /// Says goodbye to every shard's database rank; never throws.
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  void put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) override;
  void unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype) override;
  Tensor get_tensor(std::string_view key) override;
  void delete_tensor(std::string_view key) override;
  bool tensor_exists(std::string_view key) override;
  /// Counters from each shard's INFO (Redis' own view: memory includes its overhead).
  std::vector<ShardCounters> info() override;
  std::string_view backend_name() const override { return "redis"; }
  int shard_of(std::string_view key) const override;

  /// Sends goodbye to every shard's database rank now, with the errors this client raised on
  /// its own (idempotent). Throws MpiError.
  void close();

  /// Where shard position `position` (0..shards-1, this client's order) is reached.
  const RedisEndpoint& endpoint(std::size_t position) const;

 private:
  struct Shard {
    mpi::ShardAddress rank;
    RedisEndpoint endpoint;
    std::unique_ptr<RedisConnection> connection;
    std::uint64_t errors = 0;  ///< failures Redis did not count as error replies
  };

  Shard& target(std::string_view key);
  /// The connection of `shard`, or StoreError if the store was closed.
  RedisConnection& connection(Shard& shard, Op op, std::string_view key, std::string_view command);
  /// Throws StoreError("<op> '<key>' on shard <s> (redis <address>, <command>): <reason>");
  /// `counted`: whether this client counts it (Redis counted its own error replies).
  [[noreturn]] void fail(Shard& shard, Op op, std::string_view key, std::string_view command,
                         std::string_view reason, bool counted = true);
  /// Reads a tensor reply's header and dims; false when the key holds nothing.
  bool read_header(Shard& shard, Op op, std::string_view key, std::string_view command,
                   TensorHeader& header, std::vector<std::uint64_t>& dims,
                   std::uint64_t& payload_bytes);
  /// Runs `body`; a lost connection becomes a StoreError naming op, key, shard and command.
  template <typename Body>
  auto guarded(Shard& shard, Op op, std::string_view key, std::string_view command, Body&& body);

  mpi::RequestChannel channel_;
  std::vector<Shard> shards_;
  bool closed_ = false;
};

}  // namespace scalestudy::store::redis
