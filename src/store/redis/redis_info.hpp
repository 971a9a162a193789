// Redis' INFO text mapped onto the counters every backend reports.
#pragma once

#include <string_view>

#include "store/redis/redis_connection.hpp"
#include "store/store.hpp"

namespace scalestudy::store::redis {

/// Sends INFO for the sections add_info reads (Redis 7 takes several at once) and returns the
/// reply. Throws RedisConnectionError.
RedisReply request_info(RedisConnection& connection);

/// Adds what `info` (the text of request_info's reply) says to `counters`: used_memory,
/// used_memory_peak and maxmemory set memory_bytes, peak_memory_bytes and max_memory_bytes;
/// keys of every db set keys; total_commands_processed, total_error_replies and
/// total_net_{input,output}_bytes add to requests, errors, bytes_in and bytes_out; the calls
/// of SET, GET, GETEX, DEL, EXISTS and INFO add to put_tensor, unpack_tensor, get_tensor,
/// delete_tensor, tensor_exists and info in requests_by_op, and those of HSET, HGET, HEXISTS,
/// RPUSH, LLEN, LRANGE and UNLINK to put_dataset, get_dataset, dataset_exists, append_to_list,
/// get_list_length, get_datasets_from_list and delete_list. Unknown lines are ignored.
void add_info(std::string_view info, ShardCounters& counters);

}  // namespace scalestudy::store::redis
