// The client side of the redis backend: Store verbs as Redis commands on each shard's
// redis-server, keys sharded on the client side exactly as the mpi backend does.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "store/buffer_pool.hpp"
#include "store/control/client_session.hpp"
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
  /// `ranks`) within `connect_timeout_ms`. get_datasets_from_list pipelines up to
  /// `requests_in_flight` commands on each shard's connection. Throws StoreError naming the
  /// shard and address; the database ranks are told goodbye before it does.
  RedisStore(MPI_Comm comm, std::vector<control::ShardAddress> ranks,
             std::vector<RedisEndpoint> endpoints, int connect_timeout_ms, int io_timeout_ms,
             int requests_in_flight = 1);
  /// Leaves every redis-server, then says goodbye to every shard's database rank; never throws.
  ~RedisStore() override = default;
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
  // Datasets as "{name}.meta" (a hash holding the descriptor) and "{name}.<tensor>" keys
  // (tensor values as put_tensor writes them); lists as Redis lists of dataset names
  // (redis_store_datasets.cpp).
  void put_dataset(const DataSet& dataset) override;
  DataSet get_dataset(std::string_view name) override;
  void delete_dataset(std::string_view name) override;
  bool dataset_exists(std::string_view name) override;
  void append_to_list(std::string_view list, const DataSet& dataset) override;
  std::uint64_t get_list_length(std::string_view list) override;
  std::vector<DataSet> get_datasets_from_list(std::string_view list) override;
  void delete_list(std::string_view list) override;
  int requests_in_flight() const override { return requests_in_flight_; }

  /// Sends goodbye to every shard's database rank now, with the errors this client raised on
  /// its own (idempotent). Throws MpiError.
  void close() override;

  /// Where shard position `position` (0..shards-1, this client's order) is reached.
  const RedisEndpoint& endpoint(std::size_t position) const;

 private:
  struct Shard {
    control::ShardAddress rank;
    RedisEndpoint endpoint;
    std::unique_ptr<RedisConnection> connection;
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
  /// Sends one command and reads its small reply; an error reply becomes a StoreError.
  RedisReply checked_command(Shard& shard, Op op, std::string_view key,
                             std::initializer_list<std::string_view> args);
  /// The datasets `names`, pipelined over their shards (redis_store_datasets.cpp).
  std::vector<DataSet> fetch_datasets(const std::vector<std::string>& names);

  int requests_in_flight_ = 1;
  /// Declared before shards_, so that the connections close before the goodbyes go: a database
  /// rank may stop its redis-server once every client has said goodbye. It also carries the
  /// failures Redis did not count as error replies.
  control::ClientSession session_;
  std::vector<Shard> shards_;
  BufferPool dataset_buffers_;  ///< fetched datasets' memory, reused once they are dropped
};

template <typename Body>
auto RedisStore::guarded(Shard& shard, Op op, std::string_view key, std::string_view command,
                         Body&& body) {
  try {
    return body(connection(shard, op, key, command));
  } catch (const RedisConnectionError& error) {
    fail(shard, op, key, command, error.what());
  }
}

/// Redis' error reply in the words the mpi backend uses where they mean the same.
std::string error_reply_text(const std::string& error);

}  // namespace scalestudy::store::redis
