// FNV-1a, 64 bits: the one stable hash of the project (point ids, attribute agreement).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scalestudy::core {

/// Incremental FNV-1a over bytes. The same input gives the same value on every machine and
/// every run, so ranks and studies can compare what they hash without sending it.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ p[i]) * 1099511628211ULL;
  }
  /// The 8 bytes of `value` as they lie in memory.
  void u64(std::uint64_t value) { bytes(&value, sizeof value); }
  /// The length, then the characters: "ab","c" and "a","bc" hash differently.
  void str(std::string_view text) {
    u64(text.size());
    bytes(text.data(), text.size());
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};

/// FNV-1a of the characters of `text` alone (no length).
inline std::uint64_t fnv1a(std::string_view text) {
  Fnv1a hash;
  hash.bytes(text.data(), text.size());
  return hash.value();
}

}  // namespace scalestudy::core
