// Key to shard mapping as in Redis Cluster: CRC16 of the key (or its {hash tag}) mod 16384.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scalestudy::store {

inline constexpr int kSlotCount = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster uses.
std::uint16_t crc16(std::string_view data);

/// The part of `key` that is hashed: the text between the first '{' and the next '}' when it
/// is non-empty, else the whole key.
std::string_view hash_tag(std::string_view key);

/// Slot of a key, 0..16383.
inline int hash_slot(std::string_view key) { return crc16(hash_tag(key)) & (kSlotCount - 1); }

/// Shard of a slot when slots are split into `shard_count` contiguous, even ranges.
inline int shard_of_slot(int slot, int shard_count) {
  return static_cast<int>(static_cast<long long>(slot) * shard_count / kSlotCount);
}

/// Position of the shard that holds `key` in a client's list of `shard_count` shards (the
/// same on every backend, so keys land alike whatever the transport).
inline std::size_t shard_position(std::string_view key, std::size_t shard_count) {
  return static_cast<std::size_t>(shard_of_slot(hash_slot(key), static_cast<int>(shard_count)));
}

}  // namespace scalestudy::store
