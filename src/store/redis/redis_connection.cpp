// hiredis for connecting and small replies; sendmsg/read for tensor values, so that a value
// is never copied through hiredis' output buffer or reply objects.
#include "store/redis/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

namespace scalestudy::store::redis {
namespace {

/// Received bytes that a bulk reply's first line and small values fit in (one read()).
constexpr std::size_t kHeadBytes = 64 * 1024;

timeval to_timeval(int milliseconds) {
  timeval tv{};
  tv.tv_sec = milliseconds / 1000;
  tv.tv_usec = static_cast<suseconds_t>(milliseconds % 1000) * 1000;
  return tv;
}

/// Appends "<type><count>\r\n", a RESP array or bulk-string header.
void append_count(std::string& out, char type, std::size_t count) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), count).ptr;
  out.push_back(type);
  out.append(digits, end).append("\r\n");
}

struct FreeReply {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

RedisReply convert(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::Status;
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::Error;
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::Integer;
      out.integer = reply.integer;
      return out;
    case REDIS_REPLY_NIL:
      out.kind = RedisReply::Kind::Nil;
      return out;
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::Kind::String;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::Array;
      for (std::size_t i = 0; i < reply.elements; ++i) {
        const redisReply& element = *reply.element[i];
        out.elements.emplace_back(element.type == REDIS_REPLY_STRING ? element.str : "",
                                  element.type == REDIS_REPLY_STRING ? element.len : 0);
      }
      return out;
    default:
      return out;
  }
  out.text.assign(reply.str, reply.len);
  return out;
}

}  // namespace

std::string RedisEndpoint::text() const {
  return is_unix() ? "unix:" + unix_path : host + ":" + std::to_string(port);
}

RedisConnection::RedisConnection(RedisEndpoint endpoint, int connect_timeout_ms, int io_timeout_ms)
    : endpoint_(std::move(endpoint)), head_(kHeadBytes, '\0') {
  const timeval connect_timeout = to_timeval(connect_timeout_ms);
  context_ = endpoint_.is_unix()
                 ? redisConnectUnixWithTimeout(endpoint_.unix_path.c_str(), connect_timeout)
                 : redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_timeout);
  std::string reason;
  if (context_ == nullptr) {
    reason = "hiredis could not allocate a context";
  } else if (context_->err != 0) {
    reason = context_->errstr;
  } else if (redisSetTimeout(context_, to_timeval(io_timeout_ms)) != REDIS_OK) {
    reason = "cannot set the socket timeout: " + std::string(context_->errstr);
  }
  if (!reason.empty()) {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
    throw RedisConnectionError("cannot connect to redis " + endpoint_.text() + ": " + reason);
  }
}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

void RedisConnection::lost(std::string_view what, std::string_view reason) {
  broken_ = "connection lost " + std::string(what) + ": " + std::string(reason);
  throw RedisConnectionError(broken_);
}

void RedisConnection::check_usable() const {
  if (!broken_.empty()) throw RedisConnectionError(broken_ + " (earlier)");
}

RedisReply RedisConnection::command(std::initializer_list<std::string_view> args) {
  send(args);
  return read_reply();
}

void RedisConnection::send(std::initializer_list<std::string_view> args,
                           std::initializer_list<std::span<const std::byte>> value_parts) {
  send_parts(std::span(args.begin(), args.size()),
             std::span(value_parts.begin(), value_parts.size()));
}

void RedisConnection::send_argv(std::span<const std::string_view> args) { send_parts(args, {}); }

void RedisConnection::send_parts(std::span<const std::string_view> args,
                                 std::span<const std::span<const std::byte>> value_parts) {
  check_usable();
  const bool has_value = value_parts.size() > 0;
  // RESP: *<argc> then $<length> CRLF <bytes> CRLF per argument.
  prefix_.clear();
  append_count(prefix_, '*', args.size() + (has_value ? 1 : 0));
  for (const std::string_view arg : args) {
    append_count(prefix_, '$', arg.size());
    prefix_.append(arg).append("\r\n");
  }
  std::vector<iovec> iov;
  iov.reserve(value_parts.size() + 2);
  iov.push_back({prefix_.data(), 0});
  static const char kCrlf[] = "\r\n";
  if (has_value) {
    std::size_t length = 0;
    for (const auto part : value_parts) length += part.size();
    append_count(prefix_, '$', length);
    for (const auto part : value_parts) {
      if (!part.empty()) iov.push_back({const_cast<std::byte*>(part.data()), part.size()});
    }
    iov.push_back({const_cast<char*>(kCrlf), 2});
  }
  iov.front() = {prefix_.data(), prefix_.size()};

  std::size_t first = 0;
  while (first < iov.size()) {
    msghdr message{};
    message.msg_iov = iov.data() + first;
    message.msg_iovlen = iov.size() - first;
    // MSG_NOSIGNAL: a server that went away is an error here, not a SIGPIPE for the job.
    const ssize_t sent = ::sendmsg(context_->fd, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) lost("while sending", "send timed out");
      lost("while sending", std::strerror(errno));
    }
    auto left = static_cast<std::size_t>(sent);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
}

RedisReply RedisConnection::read_reply() {
  check_usable();
  if (head_pos_ != head_len_) lost("in the protocol", "unread bytes before a reply");
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    const bool eof = context_->err == REDIS_ERR_EOF;
    const bool timeout = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    lost("while reading a reply", eof       ? "the server closed the connection"
                                  : timeout ? "no reply before the timeout"
                                            : context_->errstr);
  }
  const std::unique_ptr<void, FreeReply> reply(raw);
  return convert(*static_cast<redisReply*>(raw));
}

std::size_t RedisConnection::fill_head() {
  if (head_pos_ > 0) {  // keep what is unread at the front
    std::memmove(head_.data(), head_.data() + head_pos_, head_len_ - head_pos_);
    head_len_ -= head_pos_;
    head_pos_ = 0;
  }
  if (head_len_ == head_.size()) lost("in the protocol", "reply line longer than the buffer");
  for (;;) {
    const ssize_t got = ::read(context_->fd, head_.data() + head_len_, head_.size() - head_len_);
    if (got > 0) {
      head_len_ += static_cast<std::size_t>(got);
      return static_cast<std::size_t>(got);
    }
    if (got == 0) lost("while reading a reply", "the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      lost("while reading a reply", "no reply before the timeout");
    }
    lost("while reading a reply", std::strerror(errno));
  }
}

BulkStart RedisConnection::read_bulk_start() {
  check_usable();
  const redisReader* reader = context_->reader;
  if (reader != nullptr && reader->pos < reader->len) {
    lost("in the protocol", "hiredis holds unread bytes");
  }
  std::size_t end = std::string::npos;
  for (;;) {
    end = std::string_view(head_.data() + head_pos_, head_len_ - head_pos_).find("\r\n");
    if (end != std::string::npos) break;
    fill_head();
  }
  const std::string_view line(head_.data() + head_pos_, end);
  head_pos_ += end + 2;
  BulkStart start;
  if (!line.empty() && line.front() == '-') {
    start.error.assign(line.substr(1));
    if (start.error.empty()) start.error = "error";
    return start;
  }
  if (line.size() < 2 || line.front() != '$') {
    lost("in the protocol",
         "expected a bulk string, got '" + std::string(line.substr(0, 64)) + "'");
  }
  if (line == "$-1") {
    start.nil = true;
    return start;
  }
  std::uint64_t length = 0;
  for (const char c : line.substr(1)) {
    if (c < '0' || c > '9') lost("in the protocol", "bad bulk length '" + std::string(line) + "'");
    length = length * 10 + static_cast<std::uint64_t>(c - '0');
  }
  start.length = length;
  return start;
}

void RedisConnection::read_bulk(std::byte* out, std::size_t bytes) {
  const std::size_t buffered = std::min(bytes, head_len_ - head_pos_);
  if (buffered > 0) std::memcpy(out, head_.data() + head_pos_, buffered);
  head_pos_ += buffered;
  std::size_t done = buffered;
  // The rest goes from the socket straight into the caller's memory.
  while (done < bytes) {
    const ssize_t got = ::read(context_->fd, out + done, bytes - done);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
      continue;
    }
    if (got == 0) lost("while reading a value", "the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      lost("while reading a value", "no data before the timeout");
    }
    lost("while reading a value", std::strerror(errno));
  }
}

void RedisConnection::skip_bulk(std::size_t bytes) {
  while (bytes > 0) {
    if (head_pos_ == head_len_) fill_head();
    const std::size_t take = std::min(bytes, head_len_ - head_pos_);
    head_pos_ += take;
    bytes -= take;
  }
}

void RedisConnection::read_bulk_end() {
  while (head_len_ - head_pos_ < 2) fill_head();
  if (head_[head_pos_] != '\r' || head_[head_pos_ + 1] != '\n') {
    lost("in the protocol", "bulk value not followed by CRLF");
  }
  head_pos_ += 2;
  if (!pipelining_ && head_pos_ != head_len_) lost("in the protocol", "bytes after the reply");
}

}  // namespace scalestudy::store::redis
