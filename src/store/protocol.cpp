// Encoding and validation of request and reply frames.
#include "store/protocol.hpp"

#include <cstring>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace scalestudy::store::protocol {
namespace {

template <typename Header>
std::size_t encode_frame(std::span<std::byte> frame, Header header, Dims dims,
                         std::string_view text, PayloadParts parts) {
  if (dims.size() > kMaxDims) {
    throw StoreError("a tensor has at most " + std::to_string(kMaxDims) + " dimensions, got " +
                     std::to_string(dims.size()));
  }
  header.ndim = static_cast<std::uint8_t>(dims.size());
  std::size_t payload_bytes = 0;
  for (const auto part : parts) payload_bytes += part.size();
  if (payload_bytes > 0) {
    header.flags |= kInlinePayload;
    header.payload_bytes = payload_bytes;
  }
  const std::size_t dims_bytes = dims.size() * sizeof(std::uint64_t);
  const std::size_t size = sizeof(Header) + dims_bytes + text.size() + payload_bytes;
  if (size > frame.size()) {
    throw StoreError("frame of " + std::to_string(size) + " bytes exceeds the buffer of " +
                     std::to_string(frame.size()));
  }
  std::byte* out = frame.data();
  std::memcpy(out, &header, sizeof(Header));
  out += sizeof(Header);
  if (dims_bytes > 0) std::memcpy(out, dims.data(), dims_bytes);
  out += dims_bytes;
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  out += text.size();
  for (const auto part : parts) {
    if (part.empty()) continue;
    std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return size;
}

/// Splits the frame after the header into dims, text and inline payload, checking every size.
template <typename Header, typename Decoded>
void decode_body(std::span<const std::byte> frame, std::size_t text_bytes, Decoded& out) {
  const Header& h = out.header;
  if (h.ndim > kMaxDims) {
    throw StoreError("malformed frame: " + std::to_string(h.ndim) + " dimensions (at most " +
                     std::to_string(kMaxDims) + ")");
  }
  const std::size_t dims_bytes = h.ndim * sizeof(std::uint64_t);
  const bool is_inline = (h.flags & kInlinePayload) != 0;
  const std::size_t payload_bytes = is_inline ? h.payload_bytes : 0;
  if (is_inline && h.payload_bytes > kMaxInlineBytes) {
    throw StoreError("malformed frame: inline payload of " + std::to_string(h.payload_bytes) +
                     " bytes (at most " + std::to_string(kMaxInlineBytes) + ")");
  }
  const std::size_t expected = sizeof(Header) + dims_bytes + text_bytes + payload_bytes;
  if (frame.size() != expected) {
    throw StoreError("malformed frame: " + std::to_string(frame.size()) +
                     " bytes received, header describes " + std::to_string(expected));
  }
  const std::byte* in = frame.data() + sizeof(Header);
  if (dims_bytes > 0) std::memcpy(out.dim_values.data(), in, dims_bytes);
  in += dims_bytes;
  const std::string_view text(reinterpret_cast<const char*>(in), text_bytes);
  in += text_bytes;
  out.inline_payload = std::span<const std::byte>(in, payload_bytes);
  if constexpr (std::is_same_v<Decoded, Request>) {
    out.key = text;
  } else {
    out.text = text;
  }
}

}  // namespace

const char* status_text(Status status) {
  switch (status) {
    case Status::Ok:
      return "ok";
    case Status::UnknownKey:
      return "unknown key";
    case Status::Mismatch:
      return "mismatch";
    case Status::OutOfMemory:
      return "out of memory";
    case Status::BadRequest:
      return "bad request";
    case Status::ModelError:
      return "model error";
  }
  return "unknown status";
}

std::array<std::uint64_t, kModelOptionDims> model_options_dims(const ModelOptions& options) {
  // Two's complement through int64: a negative value (refused by check_model_options) arrives
  // as itself.
  const auto wire = [](int value) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
  };
  return {wire(options.instances), wire(options.threads_per_queue), wire(options.max_batch_size),
          wire(options.max_queue_delay_us)};
}

ModelOptions model_options(const Request& request) {
  const Dims dims = request.dims();
  if (dims.size() != kModelOptionDims) {
    throw StoreError("set_model carries " + std::to_string(dims.size()) + " option values, not " +
                     std::to_string(kModelOptionDims));
  }
  int values[kModelOptionDims];
  for (std::size_t i = 0; i < kModelOptionDims; ++i) {
    const auto value = static_cast<std::int64_t>(dims[i]);
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      throw StoreError("set_model option " + std::to_string(i) + " (" + std::to_string(value) +
                       ") does not fit an int");
    }
    values[i] = static_cast<int>(value);
  }
  return {values[0], values[1], values[2], values[3]};
}

std::string encode_names(const std::vector<std::string_view>& names) {
  std::string field;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) field += '\0';
    field += names[i];
  }
  return field;
}

std::vector<std::string_view> decode_names(std::string_view field) {
  std::vector<std::string_view> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = field.find('\0', start);
    names.push_back(field.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return names;
}

std::size_t encode_request(std::span<std::byte> frame, RequestHeader header, Dims dims,
                           std::string_view key, std::span<const std::byte> inline_payload) {
  return encode_request_parts(frame, header, dims, key, PayloadParts(&inline_payload, 1));
}

std::size_t encode_request_parts(std::span<std::byte> frame, RequestHeader header, Dims dims,
                                 std::string_view key, PayloadParts parts) {
  if (key.size() > kMaxKeyBytes) {
    throw StoreError("key of " + std::to_string(key.size()) + " bytes is longer than the " +
                     std::to_string(kMaxKeyBytes) + "-byte limit");
  }
  std::size_t payload_bytes = 0;
  for (const auto part : parts) payload_bytes += part.size();
  if (payload_bytes > kMaxInlineBytes) {
    throw StoreError("inline payload of " + std::to_string(payload_bytes) + " bytes exceeds " +
                     std::to_string(kMaxInlineBytes));
  }
  header.key_bytes = static_cast<std::uint16_t>(key.size());
  return encode_frame(frame, header, dims, key, parts);
}

Request decode_request(std::span<const std::byte> frame) {
  Request request;
  if (frame.size() < sizeof(RequestHeader)) {
    throw StoreError("malformed frame: " + std::to_string(frame.size()) +
                     " bytes is shorter than a request header");
  }
  std::memcpy(&request.header, frame.data(), sizeof(RequestHeader));
  if (request.header.magic != kRequestMagic) {
    throw StoreError("malformed frame: not a scalestudy request (bad magic)");
  }
  if (request.header.op == 0 || request.header.op >= kOpCount) {
    throw StoreError("malformed frame: unknown operation code " +
                     std::to_string(request.header.op));
  }
  if (request.header.key_bytes > kMaxKeyBytes) {
    throw StoreError("malformed frame: key of " + std::to_string(request.header.key_bytes) +
                     " bytes");
  }
  decode_body<RequestHeader>(frame, request.header.key_bytes, request);
  return request;
}

std::size_t encode_reply(std::span<std::byte> frame, ReplyHeader header, Dims dims,
                         std::string_view text, std::span<const std::byte> inline_payload) {
  return encode_reply_parts(frame, header, dims, text, PayloadParts(&inline_payload, 1));
}

std::size_t encode_reply_parts(std::span<std::byte> frame, ReplyHeader header, Dims dims,
                               std::string_view text, PayloadParts parts) {
  if (text.size() > kMaxTextBytes) text = text.substr(0, kMaxTextBytes);
  header.text_bytes = static_cast<std::uint32_t>(text.size());
  return encode_frame(frame, header, dims, text, parts);
}

Reply decode_reply(std::span<const std::byte> frame) {
  Reply reply;
  if (frame.size() < sizeof(ReplyHeader)) {
    throw StoreError("malformed reply: " + std::to_string(frame.size()) +
                     " bytes is shorter than a reply header");
  }
  std::memcpy(&reply.header, frame.data(), sizeof(ReplyHeader));
  if (reply.header.magic != kReplyMagic) {
    throw StoreError("malformed reply: not a scalestudy reply (bad magic)");
  }
  if (reply.header.text_bytes > kMaxTextBytes) {
    throw StoreError("malformed reply: text of " + std::to_string(reply.header.text_bytes) +
                     " bytes");
  }
  decode_body<ReplyHeader>(frame, reply.header.text_bytes, reply);
  return reply;
}

}  // namespace scalestudy::store::protocol
