// CRC16 (XMODEM) and hash tags, as specified for Redis Cluster key slots.
#include "store/sharding.hpp"

#include <array>

namespace scalestudy::store {
namespace {

constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    unsigned crc = byte << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000U) ? ((crc << 1) ^ 0x1021U) : (crc << 1);
    }
    table[byte] = static_cast<std::uint16_t>(crc & 0xFFFFU);
  }
  return table;
}

constexpr auto kTable = make_table();

}  // namespace

std::uint16_t crc16(std::string_view data) {
  unsigned crc = 0;
  for (const char c : data) {
    const unsigned index = ((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xFFU;
    crc = ((crc << 8) ^ kTable[index]) & 0xFFFFU;
  }
  return static_cast<std::uint16_t>(crc);
}

std::string_view hash_tag(std::string_view key) {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

}  // namespace scalestudy::store
