// What a database rank adds to its point's file: its counters, and a row per model request
// and per model or script it loaded.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "results/record_table.hpp"
#include "store/model_runtime.hpp"
#include "store/store.hpp"

namespace scalestudy::point {

/// The counters of a shard by name (/database/<name>): totals, then requests per operation.
std::vector<std::pair<std::string, std::uint64_t>> named_counters(const store::ShardCounters& c);

/// The model_requests and model_loads tables of a database rank; none when it served no model.
std::vector<results::RecordTable> model_tables(const std::vector<store::RequestRecord>& requests,
                                               const std::vector<store::ModelLoad>& loads);

}  // namespace scalestudy::point
