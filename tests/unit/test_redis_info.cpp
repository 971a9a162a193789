// Redis' INFO text onto ShardCounters: the fields the redis backend reports.
#include <gtest/gtest.h>

#include "store/redis/redis_info.hpp"

namespace scalestudy::store::redis {
namespace {

TEST(RedisInfo, MapsMemoryStatsKeyspaceAndCommandCounts) {
  const std::string info =
      "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"
      "used_memory_peak:2097152\r\nmaxmemory:8388608\r\nmaxmemory_policy:noeviction\r\n"
      "# Stats\r\ntotal_commands_processed:42\r\ntotal_net_input_bytes:1000\r\n"
      "total_net_output_bytes:2000\r\ntotal_error_replies:3\r\n"
      "# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\ndb1:keys=2,expires=0,avg_ttl=0\r\n"
      "# Commandstats\r\n"
      "cmdstat_set:calls=10,usec=50,usec_per_call=5.00,rejected_calls=1,failed_calls=0\r\n"
      "cmdstat_get:calls=7,usec=20,usec_per_call=2.86,rejected_calls=0,failed_calls=0\r\n"
      "cmdstat_getex:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n"
      "cmdstat_getrange:calls=99,usec=2\r\n"
      "cmdstat_exists:calls=4,usec=2\r\ncmdstat_del:calls=2,usec=2\r\ncmdstat_info:calls=1\r\n";
  ShardCounters c;
  c.requests = 5;  // the control frames the database rank counted itself
  add_info(info, c);
  EXPECT_EQ(c.memory_bytes, 1048576U);
  EXPECT_EQ(c.peak_memory_bytes, 2097152U);
  EXPECT_EQ(c.max_memory_bytes, 8388608U);
  EXPECT_EQ(c.requests, 47U);
  EXPECT_EQ(c.errors, 3U);
  EXPECT_EQ(c.bytes_in, 1000U);
  EXPECT_EQ(c.bytes_out, 2000U);
  EXPECT_EQ(c.keys, 7U);
  const auto calls = [&](Op op) { return c.requests_by_op[static_cast<std::size_t>(op)]; };
  EXPECT_EQ(calls(Op::PutTensor), 10U);
  EXPECT_EQ(calls(Op::UnpackTensor), 7U);  // getrange is not get
  EXPECT_EQ(calls(Op::GetTensor), 1U);
  EXPECT_EQ(calls(Op::TensorExists), 4U);
  EXPECT_EQ(calls(Op::DeleteTensor), 2U);
  EXPECT_EQ(calls(Op::Info), 1U);
}

}  // namespace
}  // namespace scalestudy::store::redis
