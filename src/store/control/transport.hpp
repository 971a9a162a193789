// MPI tags of the mpi store and chunked byte transfers (MPI counts are int: >2 GiB goes in pieces).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scalestudy::store::control {

namespace tags {
inline constexpr int kRequest = 1;   ///< client -> database: request frames
inline constexpr int kRawPut = 2;    ///< client -> database: raw baseline payload
inline constexpr int kRawGet = 3;    ///< client -> database: raw baseline 1-byte request
inline constexpr int kRawReply = 4;  ///< database -> client: raw baseline reply
/// database -> client: where an external server (the redis backend's) listens, or why not
inline constexpr int kServerAddress = 5;
inline constexpr int kChannelBase = 16;
inline constexpr int kMaxChannels = 1024;
/// database -> client reply frames of one client channel
inline constexpr int reply(int channel) { return kChannelBase + 2 * channel; }
/// bulk payloads of one client channel, in either direction
inline constexpr int payload(int channel) { return kChannelBase + 2 * channel + 1; }
}  // namespace tags

/// Largest piece of a payload sent as one MPI message (MPI counts are int).
inline constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 30;

/// Pieces of a put's payload. A put's payload follows its request frame without waiting, so a
/// database rank that refuses the put must still receive it: it does so piece by piece into a
/// scratch buffer of this size.
inline constexpr std::uint64_t kPutChunkBytes = std::uint64_t{8} << 20;

/// Sends `bytes` bytes as ceil(bytes / chunk) messages, all in flight at once (none for 0).
void send_bytes(MPI_Comm comm, const std::byte* data, std::uint64_t bytes, int dest, int tag,
                std::uint64_t chunk = kChunkBytes);

/// Receives what send_bytes sent with the same chunk size, straight into `data`.
void recv_bytes(MPI_Comm comm, std::byte* data, std::uint64_t bytes, int source, int tag,
                std::uint64_t chunk = kChunkBytes);

/// Posts the sends of what recv_bytes and post_recv_bytes receive, from `data` (which must stay
/// unchanged until they complete), appending their requests to `requests` (none for 0 bytes).
void post_send_bytes(MPI_Comm comm, const std::byte* data, std::uint64_t bytes, int dest, int tag,
                     std::vector<MPI_Request>& requests, std::uint64_t chunk = kChunkBytes);

/// Posts the receives of what send_bytes sends with the same chunk size, straight into `data`,
/// appending their requests to `requests` (none for 0 bytes).
void post_recv_bytes(MPI_Comm comm, std::byte* data, std::uint64_t bytes, int source, int tag,
                     std::vector<MPI_Request>& requests, std::uint64_t chunk = kChunkBytes);

/// Receives what send_bytes sent and drops it, one chunk at a time through `scratch`, which
/// must hold at least `chunk` bytes.
void discard_bytes(MPI_Comm comm, std::byte* scratch, std::uint64_t bytes, int source, int tag,
                   std::uint64_t chunk);

}  // namespace scalestudy::store::control
