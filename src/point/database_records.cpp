// A database rank's counters and model tables, as the point file holds them.
#include "point/database_records.hpp"

namespace scalestudy::point {

std::vector<std::pair<std::string, std::uint64_t>> named_counters(const store::ShardCounters& c) {
  std::vector<std::pair<std::string, std::uint64_t>> out = {
      {"requests", c.requests},
      {"errors", c.errors},
      {"keys", c.keys},
      {"memory_bytes", c.memory_bytes},
      {"peak_memory_bytes", c.peak_memory_bytes},
      {"max_memory_bytes", c.max_memory_bytes},
      {"bytes_in", c.bytes_in},
      {"bytes_out", c.bytes_out},
  };
  for (std::size_t op = 1; op < store::kOpCount; ++op) {
    out.emplace_back(std::string("requests_") + store::op_name(static_cast<store::Op>(op)),
                     c.requests_by_op[op]);
  }
  return out;
}

std::vector<results::RecordTable> model_tables(const std::vector<store::RequestRecord>& requests,
                                               const std::vector<store::ModelLoad>& loads) {
  if (requests.empty() && loads.empty()) return {};
  std::vector<std::string> key;
  std::vector<std::string> kind;
  std::vector<std::int64_t> failed;
  std::vector<double> queue;
  std::vector<double> compute;
  std::vector<std::int64_t> batch;
  for (const auto& r : requests) {
    key.push_back(r.key);
    kind.push_back(r.script ? "script" : "model");
    failed.push_back(r.failed ? 1 : 0);
    queue.push_back(r.queue_s);
    compute.push_back(r.compute_s);
    batch.push_back(r.batch_size);
  }
  std::vector<std::string> load_key;
  std::vector<std::string> load_kind;
  std::vector<double> load_s;
  std::vector<double> first_call_s;
  for (const auto& l : loads) {
    load_key.push_back(l.key);
    load_kind.push_back(l.script ? "script" : "model");
    load_s.push_back(l.load_s);
    first_call_s.push_back(l.first_call_s);
  }
  return {
      {"model_requests",
       {{"key", key},
        {"kind", kind},
        {"failed", failed},
        {"queue_s", queue},
        {"compute_s", compute},
        {"batch_size", batch}}},
      {"model_loads",
       {{"key", load_key},
        {"kind", load_kind},
        {"load_s", load_s},
        {"first_call_s", first_call_s}}},
  };
}

}  // namespace scalestudy::point
