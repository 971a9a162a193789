// Wire format between clients and database ranks: fixed headers plus dims, key or text, and an
// optional inline payload, all in one frame. Large payloads travel as separate messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/model_runtime.hpp"
#include "store/store.hpp"
#include "store/tensor.hpp"

namespace scalestudy::store::protocol {

inline constexpr std::uint32_t kRequestMagic = 0x51525353;  // "SSRQ" little-endian
inline constexpr std::uint32_t kReplyMagic = 0x50525353;    // "SSRP"
/// Bumped whenever a frame changes meaning (2: set_model carries its options as dims).
inline constexpr std::uint32_t kVersion = 2;
/// The key field: one key, or for model and script requests a list of names (see
/// encode_names), at most this long.
inline constexpr std::size_t kMaxKeyBytes = 4096;
inline constexpr std::size_t kMaxTextBytes = 4096;
inline constexpr std::size_t kMaxInlineBytes = 65536;

/// Request flag: the payload is inside the frame.
inline constexpr std::uint8_t kInlinePayload = 1;

enum class Status : std::uint8_t {
  Ok = 0,
  UnknownKey = 2,
  Mismatch = 3,
  OutOfMemory = 4,
  BadRequest = 5,
  ModelError = 6,  ///< the model runtime refused or failed (its message follows)
};

/// "ok", "unknown key", ...
const char* status_text(Status status);

struct RequestHeader {
  std::uint32_t magic = kRequestMagic;
  std::uint8_t op = 0;
  std::uint8_t dtype = 0;
  std::uint8_t ndim = 0;
  std::uint8_t flags = 0;
  std::uint16_t channel = 0;  ///< which reply/payload tags the client listens on
  std::uint16_t key_bytes = 0;
  std::uint32_t reserved = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t request_id = 0;
  /// op-specific (Hello: protocol version; Goodbye: errors the client raised that the database
  /// rank did not see, e.g. an external backend's unknown keys)
  std::uint64_t value = 0;
};
static_assert(sizeof(RequestHeader) == 40);

struct ReplyHeader {
  std::uint32_t magic = kReplyMagic;
  std::uint8_t status = 0;
  std::uint8_t dtype = 0;
  std::uint8_t ndim = 0;
  std::uint8_t flags = 0;
  std::uint32_t text_bytes = 0;
  std::uint32_t reserved = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t request_id = 0;
  std::uint64_t value = 0;  ///< op-specific (exists: 0/1; Hello: frame capacity)
};
static_assert(sizeof(ReplyHeader) == 40);

/// Joins names with NUL bytes, the key field of model and script requests:
/// run_model: [model, inputs..., outputs...];
/// run_script: [script, function, inputs..., outputs...] (RequestHeader::value = input count);
/// append_to_list: [list, dataset]. The reply payload of get_list_range is the list's dataset
/// names encoded the same way.
std::string encode_names(const std::vector<std::string_view>& names);

/// Splits a key field written by encode_names.
std::vector<std::string_view> decode_names(std::string_view field);

/// Largest frame either side sends; database ranks receive requests into a buffer this big.
inline constexpr std::size_t kMaxFrameBytes =
    sizeof(RequestHeader) + kMaxDims * sizeof(std::uint64_t) + kMaxTextBytes + kMaxInlineBytes;
static_assert(kMaxKeyBytes <= kMaxTextBytes);

/// A decoded request; key, dims and payload point into the frame.
struct Request {
  RequestHeader header;
  std::array<std::uint64_t, kMaxDims> dim_values{};
  std::string_view key;
  std::span<const std::byte> inline_payload;

  Op op() const { return static_cast<Op>(header.op); }
  Dims dims() const { return Dims(dim_values.data(), header.ndim); }
  bool has_inline_payload() const { return (header.flags & kInlinePayload) != 0; }
};

/// set_model's options travel as its request's dims: instances, threads_per_queue,
/// max_batch_size, max_queue_delay_us.
inline constexpr std::size_t kModelOptionDims = 4;

/// The dims of a set_model request that carries `options`.
std::array<std::uint64_t, kModelOptionDims> model_options_dims(const ModelOptions& options);

/// The options a set_model request carries. Throws StoreError when its dims are not four
/// whole numbers that fit an int (whether they make sense is check_model_options').
ModelOptions model_options(const Request& request);

/// A decoded reply; text and payload point into the frame.
struct Reply {
  ReplyHeader header;
  std::array<std::uint64_t, kMaxDims> dim_values{};
  std::string_view text;
  std::span<const std::byte> inline_payload;

  Status status() const { return static_cast<Status>(header.status); }
  Dims dims() const { return Dims(dim_values.data(), header.ndim); }
  bool has_inline_payload() const { return (header.flags & kInlinePayload) != 0; }
};

/// Writes a request frame; sets ndim, key_bytes, and (for a non-empty inline payload)
/// payload_bytes and the inline flag. Returns the frame size. Throws StoreError if the key is
/// too long, there are too many dims, or the frame does not fit.
std::size_t encode_request(std::span<std::byte> frame, RequestHeader header, Dims dims,
                           std::string_view key, std::span<const std::byte> inline_payload = {});

/// An inline payload gathered from several pieces, back to back in the frame.
using PayloadParts = std::span<const std::span<const std::byte>>;

/// encode_request with the inline payload gathered from `parts` (datasets: descriptor, then
/// the small tensors straight from their memory).
std::size_t encode_request_parts(std::span<std::byte> frame, RequestHeader header, Dims dims,
                                 std::string_view key, PayloadParts parts);

/// Decodes and validates a request frame. Throws StoreError describing what is malformed.
Request decode_request(std::span<const std::byte> frame);

/// Writes a reply frame (text: an error message or op-specific text). Returns its size.
/// Text longer than kMaxTextBytes is cut.
std::size_t encode_reply(std::span<std::byte> frame, ReplyHeader header, Dims dims,
                         std::string_view text, std::span<const std::byte> inline_payload = {});

/// encode_reply with the inline payload gathered from `parts`.
std::size_t encode_reply_parts(std::span<std::byte> frame, ReplyHeader header, Dims dims,
                               std::string_view text, PayloadParts parts);

/// Decodes and validates a reply frame. Throws StoreError describing what is malformed.
Reply decode_reply(std::span<const std::byte> frame);

}  // namespace scalestudy::store::protocol
