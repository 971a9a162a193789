// Parsing of INFO's "field:value" lines.
#include "store/redis/redis_info.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace scalestudy::store::redis {
namespace {

std::uint64_t number(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// The value of `name=` in "calls=3,usec=10,...", or 0.
std::uint64_t subfield(std::string_view list, std::string_view name) {
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view item = list.substr(start, end - start);
    if (item.size() > name.size() && item.substr(0, name.size()) == name &&
        item[name.size()] == '=') {
      return number(item.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return 0;
}

/// Commands the redis store sends for each counted verb.
constexpr std::array<std::pair<std::string_view, Op>, 13> kCommandOps = {{
    {"set", Op::PutTensor},
    {"get", Op::UnpackTensor},
    {"getex", Op::GetTensor},
    {"del", Op::DeleteTensor},
    {"exists", Op::TensorExists},
    {"info", Op::Info},
    {"hset", Op::PutDataset},
    {"hget", Op::GetDataset},
    {"hexists", Op::DatasetExists},
    {"rpush", Op::AppendToList},
    {"llen", Op::ListLength},
    {"lrange", Op::ListRange},
    {"unlink", Op::DeleteList},
}};

}  // namespace

RedisReply request_info(RedisConnection& connection) {
  return connection.command({"INFO", "memory", "stats", "keyspace", "commandstats"});
}

void add_info(std::string_view info, ShardCounters& counters) {
  std::uint64_t keys = 0;
  std::size_t start = 0;
  while (start < info.size()) {
    std::size_t end = info.find('\n', start);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t colon = line.find(':');
    if (line.empty() || line.front() == '#' || colon == std::string_view::npos) continue;
    const std::string_view field = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (field == "used_memory") {
      counters.memory_bytes = number(value);
    } else if (field == "used_memory_peak") {
      counters.peak_memory_bytes = number(value);
    } else if (field == "maxmemory") {
      counters.max_memory_bytes = number(value);
    } else if (field == "total_commands_processed") {
      counters.requests += number(value);
    } else if (field == "total_error_replies") {
      counters.errors += number(value);
    } else if (field == "total_net_input_bytes") {
      counters.bytes_in += number(value);
    } else if (field == "total_net_output_bytes") {
      counters.bytes_out += number(value);
    } else if (field.size() > 2 && field.substr(0, 2) == "db") {
      keys += subfield(value, "keys");
    } else if (field.size() > 8 && field.substr(0, 8) == "cmdstat_") {
      for (const auto& [command, op] : kCommandOps) {
        if (field.substr(8) == command) {
          counters.requests_by_op[static_cast<std::size_t>(op)] += subfield(value, "calls");
        }
      }
    }
  }
  counters.keys = keys;
}

}  // namespace scalestudy::store::redis
