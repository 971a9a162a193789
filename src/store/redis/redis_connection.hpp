// One blocking connection to a redis-server: hiredis connects and parses small replies; tensor
// values go between the socket and the caller's memory without hiredis' buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct redisContext;  // hiredis, used only in redis_connection.cpp

namespace scalestudy::store::redis {

/// Where a redis-server listens: a unix socket when `unix_path` is set, else TCP host:port.
struct RedisEndpoint {
  std::string host;  ///< TCP host (for a unix socket: the host it lives on, for messages)
  int port = 0;
  std::string unix_path;

  bool is_unix() const { return !unix_path.empty(); }
  /// "127.0.0.1:40123" or "unix:/tmp/scalestudy-redis-Ab12Cd/redis.sock"
  std::string text() const;
};

/// The connection failed or was lost (the message says which, and why); the connection is
/// unusable afterwards. Redis error replies are not exceptions: they come back as replies.
class RedisConnectionError : public StoreError {
 public:
  using StoreError::StoreError;
};

/// A small reply: status (+OK), error (-ERR ...), integer, nil, bulk string, or an array of
/// bulk strings (LRANGE).
struct RedisReply {
  enum class Kind { Status, Error, Integer, Nil, String, Array, Other };
  Kind kind = Kind::Other;
  long long integer = 0;
  std::string text;                   ///< status, error or string contents
  std::vector<std::string> elements;  ///< an array's strings (other elements: empty strings)
};

/// How a bulk-string reply starts: nil, an error reply, or `length` bytes to read.
struct BulkStart {
  bool nil = false;
  std::string error;  ///< non-empty for an error reply
  std::uint64_t length = 0;
};

class RedisConnection {
 public:
  /// Connects within `connect_timeout_ms`; later reads and writes give up after
  /// `io_timeout_ms`. Throws RedisConnectionError ("cannot connect to redis <address>: ...").
  RedisConnection(RedisEndpoint endpoint, int connect_timeout_ms, int io_timeout_ms);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  const RedisEndpoint& endpoint() const { return endpoint_; }

  /// Sends one command and reads its small reply. Throws RedisConnectionError.
  RedisReply command(std::initializer_list<std::string_view> args);

  /// Sends `args` followed by one last argument made of `value_parts` back to back, straight
  /// from their memory (no staging copy). Read the reply with read_reply or read_bulk_start.
  /// Throws RedisConnectionError.
  void send(std::initializer_list<std::string_view> args,
            std::initializer_list<std::span<const std::byte>> value_parts = {});

  /// send of a command whose arguments are only known at run time (DEL of many keys).
  void send_argv(std::span<const std::string_view> args);

  /// While pipelining (several commands sent before their replies are read), a bulk reply may
  /// be followed by the next one's bytes; outside, that is a protocol error.
  void set_pipelining(bool on) { pipelining_ = on; }

  /// Marks the connection unusable (replies it still owes would answer later commands).
  void abandon(std::string_view reason) { broken_ = "connection given up: " + std::string(reason); }

  /// Reads a small reply (hiredis' parser). Throws RedisConnectionError.
  RedisReply read_reply();

  /// Reads the first line of a bulk-string reply. Unless it is nil or an error, exactly
  /// `length` bytes must then be taken with read_bulk / skip_bulk, then read_bulk_end.
  /// Throws RedisConnectionError (also on a reply of another type).
  BulkStart read_bulk_start();
  /// Reads the next `bytes` bytes of the bulk value into `out`.
  void read_bulk(std::byte* out, std::size_t bytes);
  /// Reads and drops the next `bytes` bytes of the bulk value.
  void skip_bulk(std::size_t bytes);
  /// Reads the CRLF that ends a bulk value.
  void read_bulk_end();

 private:
  void send_parts(std::span<const std::string_view> args,
                  std::span<const std::span<const std::byte>> value_parts);
  [[noreturn]] void lost(std::string_view what, std::string_view reason);
  void check_usable() const;
  /// Bytes already received past the current position, else one read() into the head buffer.
  std::size_t fill_head();

  RedisEndpoint endpoint_;
  redisContext* context_ = nullptr;
  std::string broken_;  ///< why the connection is unusable ("" while it is fine)
  std::string prefix_;  ///< RESP text of the command being sent
  std::string head_;    ///< received bytes not yet consumed by a bulk read
  std::size_t head_pos_ = 0;
  std::size_t head_len_ = 0;
  bool pipelining_ = false;
};

}  // namespace scalestudy::store::redis
