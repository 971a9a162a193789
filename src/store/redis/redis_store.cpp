// Store verbs over Redis: SET/GET/GETEX/DEL/EXISTS/INFO, tensor values straight from and into
// the caller's memory.
#include "store/redis/redis_store.hpp"

#include <algorithm>
#include <cstring>

#include "store/redis/redis_info.hpp"
#include "store/sharding.hpp"

namespace scalestudy::store::redis {
namespace {

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span<const T>(&value, 1));
}

}  // namespace

std::string error_reply_text(const std::string& error) {
  if (error.rfind("OOM", 0) == 0) {
    return "out of memory: redis refused the write (" + error +
           "); db_max_memory sets its maxmemory";
  }
  return "redis error: " + error;
}

RedisStore::RedisStore(MPI_Comm comm, std::vector<control::ShardAddress> ranks,
                       std::vector<RedisEndpoint> endpoints, int connect_timeout_ms,
                       int io_timeout_ms, int requests_in_flight)
    : requests_in_flight_(std::max(1, requests_in_flight)), session_(comm, ranks, "redis") {
  if (ranks.size() != endpoints.size()) {
    throw StoreError("redis store: " + std::to_string(ranks.size()) + " shards but " +
                     std::to_string(endpoints.size()) + " redis addresses");
  }
  // A failure below leaves through the session's goodbye: the database ranks must not wait for
  // this client.
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    shards_.push_back({ranks[i], std::move(endpoints[i]), nullptr});
    try {
      shards_.back().connection = std::make_unique<RedisConnection>(
          shards_.back().endpoint, connect_timeout_ms, io_timeout_ms);
    } catch (const RedisConnectionError& error) {
      session_.count_error(i);
      throw StoreError("redis store: shard " + std::to_string(ranks[i].shard) + " (database rank " +
                       std::to_string(ranks[i].world_rank) + "): " + error.what());
    }
  }
}

void RedisStore::close() {
  if (session_.closed()) return;
  for (auto& shard : shards_) shard.connection.reset();  // leave redis before it may stop
  session_.close();
}

const RedisEndpoint& RedisStore::endpoint(std::size_t position) const {
  return shards_.at(position).endpoint;
}

RedisStore::Shard& RedisStore::target(std::string_view key) {
  return shards_[shard_position(key, shards_.size())];
}

int RedisStore::shard_of(std::string_view key) const {
  return shards_[shard_position(key, shards_.size())].rank.shard;
}

void RedisStore::fail(Shard& shard, Op op, std::string_view key, std::string_view command,
                      std::string_view reason, bool counted) {
  if (counted) session_.count_error(static_cast<std::size_t>(&shard - shards_.data()));
  throw StoreError(std::string(op_name(op)) + (key.empty() ? "" : " '" + std::string(key) + "'") +
                   " on shard " + std::to_string(shard.rank.shard) + " (redis " +
                   shard.endpoint.text() + ", " + std::string(command) +
                   "): " + std::string(reason));
}

RedisConnection& RedisStore::connection(Shard& shard, Op op, std::string_view key,
                                        std::string_view command) {
  if (session_.closed() || !shard.connection) fail(shard, op, key, command, "the store was closed");
  return *shard.connection;
}

RedisReply RedisStore::checked_command(Shard& shard, Op op, std::string_view key,
                                       std::initializer_list<std::string_view> args) {
  const std::string_view command = *args.begin();
  const RedisReply reply =
      guarded(shard, op, key, command, [&](RedisConnection& c) { return c.command(args); });
  if (reply.kind == RedisReply::Kind::Error) {
    fail(shard, op, key, command, error_reply_text(reply.text), false);
  }
  return reply;
}

bool RedisStore::read_header(Shard& shard, Op op, std::string_view key, std::string_view command,
                             TensorHeader& header, std::vector<std::uint64_t>& dims,
                             std::uint64_t& payload_bytes) {
  RedisConnection& c = *shard.connection;
  const BulkStart start = c.read_bulk_start();
  if (start.nil) return false;
  if (!start.error.empty()) fail(shard, op, key, command, error_reply_text(start.error), false);
  std::uint64_t left = start.length;
  // Anything that is not a well-formed tensor is drained, so the connection stays in step.
  const auto refuse = [&](const std::string& reason) {
    c.skip_bulk(left);
    c.read_bulk_end();
    fail(shard, op, key, command, reason);
  };
  if (left < sizeof(header)) {
    refuse("value of " + std::to_string(left) + " bytes is not a scalestudy tensor");
  }
  c.read_bulk(reinterpret_cast<std::byte*>(&header), sizeof(header));
  left -= sizeof(header);
  const auto dtype = dtype_from_code(header.dtype);
  if (header.magic != TensorHeader::kMagic || header.version != 1 || !dtype || header.ndim == 0 ||
      header.ndim > kMaxDims || left < header.ndim * sizeof(std::uint64_t)) {
    refuse("value is not a scalestudy tensor (bad header)");
  }
  dims.resize(header.ndim);
  c.read_bulk(reinterpret_cast<std::byte*>(dims.data()), dims.size() * sizeof(std::uint64_t));
  left -= dims.size() * sizeof(std::uint64_t);
  std::uint64_t expected = 0;
  try {
    expected = tensor_bytes(dims, *dtype);
  } catch (const StoreError& error) {
    refuse(std::string("stored tensor has a bad shape: ") + error.what());
  }
  if (expected != left) {
    refuse("stored tensor " + tensor_text(*dtype, dims, expected) + " holds " +
           std::to_string(left) + " bytes");
  }
  payload_bytes = left;
  return true;
}

void RedisStore::put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) {
  Shard& shard = target(key);
  constexpr std::string_view kCommand = "SET";
  if (!dtype_from_code(static_cast<std::uint8_t>(dtype))) {
    fail(shard, Op::PutTensor, key, kCommand,
         "bad request: unknown dtype code " + std::to_string(static_cast<int>(dtype)));
  }
  std::uint64_t bytes = 0;
  try {
    bytes = tensor_bytes(dims, dtype);
  } catch (const StoreError& error) {
    fail(shard, Op::PutTensor, key, kCommand, std::string("bad request: ") + error.what());
  }
  TensorHeader header;
  header.dtype = static_cast<std::uint8_t>(dtype);
  header.ndim = static_cast<std::uint8_t>(dims.size());
  const std::uint64_t value_bytes = sizeof(header) + dims.size_bytes() + bytes;
  if (value_bytes > kMaxValueBytes) {
    fail(shard, Op::PutTensor, key, kCommand,
         "a value of " + std::to_string(value_bytes) +
             " bytes exceeds Redis' largest string (proto-max-bulk-len, 512 MB); use backend: mpi "
             "for larger tensors");
  }
  const RedisReply reply = guarded(shard, Op::PutTensor, key, kCommand, [&](RedisConnection& c) {
    c.send({kCommand, key},
           {bytes_of(header), std::as_bytes(dims),
            std::span<const std::byte>(static_cast<const std::byte*>(data), bytes)});
    return c.read_reply();
  });
  if (reply.kind == RedisReply::Kind::Error) {
    fail(shard, Op::PutTensor, key, kCommand, error_reply_text(reply.text), false);
  }
  if (reply.kind != RedisReply::Kind::Status) {
    fail(shard, Op::PutTensor, key, kCommand, "unexpected reply '" + reply.text + "'");
  }
}

void RedisStore::unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype) {
  Shard& shard = target(key);
  constexpr std::string_view kCommand = "GET";
  std::uint64_t wanted = 0;
  try {
    wanted = tensor_bytes(dims, dtype);
  } catch (const StoreError& error) {
    fail(shard, Op::UnpackTensor, key, kCommand, std::string("bad request: ") + error.what());
  }
  guarded(shard, Op::UnpackTensor, key, kCommand, [&](RedisConnection& c) {
    c.send({kCommand, key});
    TensorHeader header;
    std::vector<std::uint64_t> stored_dims;
    std::uint64_t stored = 0;
    if (!read_header(shard, Op::UnpackTensor, key, kCommand, header, stored_dims, stored)) {
      fail(shard, Op::UnpackTensor, key, kCommand, "unknown key: no tensor under this key");
    }
    if (header.dtype != static_cast<std::uint8_t>(dtype) || stored != wanted) {
      c.skip_bulk(stored);
      c.read_bulk_end();
      fail(shard, Op::UnpackTensor, key, kCommand,
           "mismatch: stored tensor is " +
               tensor_text(static_cast<DType>(header.dtype), stored_dims, stored) +
               " but the buffer is " + tensor_text(dtype, dims, wanted));
    }
    c.read_bulk(static_cast<std::byte*>(out), stored);
    c.read_bulk_end();
  });
}

Tensor RedisStore::get_tensor(std::string_view key) {
  Shard& shard = target(key);
  // GETEX without options is GET; a command of its own lets Redis' commandstats count
  // get_tensor apart from unpack_tensor.
  constexpr std::string_view kCommand = "GETEX";
  return guarded(shard, Op::GetTensor, key, kCommand, [&](RedisConnection& c) {
    c.send({kCommand, key});
    TensorHeader header;
    Tensor tensor;
    std::uint64_t bytes = 0;
    if (!read_header(shard, Op::GetTensor, key, kCommand, header, tensor.dims, bytes)) {
      fail(shard, Op::GetTensor, key, kCommand, "unknown key: no tensor under this key");
    }
    tensor.dtype = static_cast<DType>(header.dtype);
    tensor.data = AlignedBuffer(bytes);
    c.read_bulk(tensor.data.data(), bytes);
    c.read_bulk_end();
    return tensor;
  });
}

void RedisStore::delete_tensor(std::string_view key) {
  Shard& shard = target(key);
  constexpr std::string_view kCommand = "DEL";
  const RedisReply reply = guarded(shard, Op::DeleteTensor, key, kCommand, [&](RedisConnection& c) {
    return c.command({kCommand, key});
  });
  if (reply.kind == RedisReply::Kind::Error) {
    fail(shard, Op::DeleteTensor, key, kCommand, error_reply_text(reply.text), false);
  }
  if (reply.kind != RedisReply::Kind::Integer || reply.integer == 0) {
    fail(shard, Op::DeleteTensor, key, kCommand, "unknown key: no tensor under this key");
  }
}

bool RedisStore::tensor_exists(std::string_view key) {
  Shard& shard = target(key);
  constexpr std::string_view kCommand = "EXISTS";
  const RedisReply reply = guarded(shard, Op::TensorExists, key, kCommand, [&](RedisConnection& c) {
    return c.command({kCommand, key});
  });
  if (reply.kind != RedisReply::Kind::Integer) {
    fail(shard, Op::TensorExists, key, kCommand, error_reply_text(reply.text),
         reply.kind != RedisReply::Kind::Error);
  }
  return reply.integer != 0;
}

std::vector<ShardCounters> RedisStore::info() {
  constexpr std::string_view kCommand = "INFO";
  std::vector<ShardCounters> all;
  for (auto& shard : shards_) {
    const RedisReply reply =
        guarded(shard, Op::Info, "", kCommand, [&](RedisConnection& c) { return request_info(c); });
    if (reply.kind != RedisReply::Kind::String) {
      fail(shard, Op::Info, "", kCommand, error_reply_text(reply.text),
           reply.kind != RedisReply::Kind::Error);
    }
    ShardCounters counters;
    counters.shard = shard.rank.shard;
    counters.world_rank = shard.rank.world_rank;
    add_info(reply.text, counters);
    all.push_back(counters);
  }
  return all;
}

}  // namespace scalestudy::store::redis
