// CRC16 and key slots against the Redis Cluster specification and a real redis-server.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "store/sharding.hpp"

namespace scalestudy::store {
namespace {

TEST(Crc16, MatchesRedisClusterSpecificationVector) {
  // Redis Cluster specification: the CRC16 of "123456789" is 0x31C3.
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

TEST(HashSlot, MatchesRedisClusterKeyslot) {
  // Values printed by `redis-cli CLUSTER KEYSLOT <key>` against redis-server 7.0.
  EXPECT_EQ(hash_slot("123456789"), 12739);
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("somekey"), 11058);
  EXPECT_EQ(hash_slot("hello"), 866);
  EXPECT_EQ(hash_slot("throughput_rank_0"), 5173);
  EXPECT_EQ(hash_slot("throughput_rank_1"), 1044);
  EXPECT_EQ(hash_slot("a"), 15495);
  EXPECT_EQ(hash_slot(""), 0);
}

TEST(HashSlot, HashTagsFollowTheSpecification) {
  EXPECT_EQ(hash_slot("{user1000}.following"), 3443);
  EXPECT_EQ(hash_slot("{user1000}.followers"), 3443);
  EXPECT_EQ(hash_slot("foo{}{bar}"), 8363);     // empty tag: the whole key is hashed
  EXPECT_EQ(hash_slot("foo{{bar}}zap"), 4015);  // tag is "{bar"
  EXPECT_EQ(hash_slot("foo{bar}{zap}"), 5061);  // first tag only: "bar"
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(hash_tag("no_tag"), "no_tag");
  EXPECT_EQ(hash_tag("open{only"), "open{only");
}

TEST(ShardOfSlot, SplitsSlotsIntoContiguousEvenRanges) {
  for (const int shards : {1, 2, 3, 7, 64, 16384}) {
    std::vector<int> per_shard(static_cast<std::size_t>(shards), 0);
    int previous = 0;
    for (int slot = 0; slot < kSlotCount; ++slot) {
      const int shard = shard_of_slot(slot, shards);
      ASSERT_GE(shard, previous) << "slot " << slot << " of " << shards << " shards";
      ASSERT_LT(shard, shards);
      previous = shard;
      ++per_shard[static_cast<std::size_t>(shard)];
    }
    const auto [lo, hi] = std::minmax_element(per_shard.begin(), per_shard.end());
    EXPECT_LE(*hi - *lo, 1) << shards << " shards";
    EXPECT_GE(*lo, 1) << shards << " shards";
  }
}

}  // namespace
}  // namespace scalestudy::store
