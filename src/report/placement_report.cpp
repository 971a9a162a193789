// Placement, memory, per-node spread and processes-against-threads sections of the report.
#include "report/placement_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "report/format_util.hpp"
#include "report/report.hpp"

namespace scalestudy::report {

using namespace detail;

namespace {

std::int64_t integer_of(const core::ParamValue* value) {
  return value != nullptr && std::holds_alternative<std::int64_t>(*value)
             ? std::get<std::int64_t>(*value)
             : 0;
}

double median_of(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, 50);
}

/// The slowest client's only sample of a one-sample operation (e.g. startup), or NaN.
double slowest_single(const results::PointData& point, const char* name) {
  const results::OperationSamples* op = point.operation(name);
  if (op == nullptr || op->samples != 1) return std::nan("");
  double slowest = std::nan("");
  for (std::size_t r = 0; r < op->rows; ++r) {
    const double seconds = op->at(r, 0);
    if (!std::isnan(seconds) && !(seconds <= slowest)) slowest = seconds;
  }
  return slowest;
}

std::string mib(std::int64_t bytes) {
  return bytes < 0 ? "" : number(static_cast<double>(bytes) / (1024.0 * 1024.0), "%.1f");
}

std::string seconds_text(double seconds) { return number(seconds, "%.3f"); }

}  // namespace

std::vector<PlacementRow> placement_rows(const std::vector<results::PointData>& points,
                                         const std::vector<std::string>& ids,
                                         const std::vector<std::string>& varied,
                                         const std::vector<double>& durations,
                                         const ReportOptions& options) {
  std::vector<PlacementRow> rows;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const results::PointData& point = points[i];
    PlacementRow row;
    row.point_id = ids[i];
    row.varied = varied[i];
    row.client_threads = integer_of(point.parameter("client_threads"));
    row.db_threads = integer_of(point.parameter("db_threads"));
    row.clients = integer_of(point.attribute("n_clients"));
    row.world_size = integer_of(point.attribute("world_size"));
    row.nodes = integer_of(point.attribute("n_nodes"));
    const auto* flag = point.attribute("oversubscribed");
    row.oversubscribed =
        flag != nullptr && std::holds_alternative<bool>(*flag) && std::get<bool>(*flag);
    row.threads_per_host = integer_of(point.attribute("threads_per_host"));
    row.cpus_per_host = integer_of(point.attribute("cpus_per_host"));
    const auto* placement = point.attribute("placement");
    if (placement != nullptr && std::holds_alternative<std::string>(*placement)) {
      row.placement = std::get<std::string>(*placement);
    }
    for (const auto& rank : point.ranks) {
      auto& peak =
          rank.role == "database" ? row.database_peak_rss_bytes : row.client_peak_rss_bytes;
      peak = std::max(peak, rank.peak_rss_bytes);
    }
    row.startup_s = slowest_single(point, "startup");
    row.loop_s = point_time(point, options);
    row.total_s = i < durations.size() ? durations[i] : std::nan("");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<NodeSpreadRow> node_spread_rows(const std::vector<results::PointData>& points,
                                            const std::vector<std::string>& ids,
                                            const std::vector<std::string>& varied,
                                            const ReportOptions& options) {
  std::vector<NodeSpreadRow> rows;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const results::PointData& point = points[i];
    if (point.ranks.empty()) continue;
    for (const auto& op : point.operations) {
      if (op.samples <= 1) continue;
      // Each node's rows as an operation of their own: its ops/s is the node's.
      std::map<int, results::OperationSamples> by_node;
      for (std::size_t r = 0; r < op.rows; ++r) {
        const auto rank = static_cast<std::size_t>(op.ranks[r]);
        if (rank >= point.ranks.size()) continue;
        auto& part = by_node[point.ranks[rank].node];
        part.name = op.name;
        part.bytes = op.bytes;
        part.samples = op.samples;
        part.warmup = op.warmup;
        ++part.rows;
        part.ranks.push_back(op.ranks[r]);
        part.seconds.insert(part.seconds.end(),
                            op.seconds.begin() + static_cast<std::ptrdiff_t>(r * op.samples),
                            op.seconds.begin() + static_cast<std::ptrdiff_t>((r + 1) * op.samples));
        part.failed.insert(part.failed.end(),
                           op.failed.begin() + static_cast<std::ptrdiff_t>(r * op.samples),
                           op.failed.begin() + static_cast<std::ptrdiff_t>((r + 1) * op.samples));
      }
      std::vector<double> rates;
      for (const auto& [node, part] : by_node) {
        const double rate = summarize_operation(part, options).ops_per_s;
        if (std::isfinite(rate) && rate > 0) rates.push_back(rate);
      }
      if (rates.empty()) continue;
      NodeSpreadRow row;
      row.point_id = ids[i];
      row.varied = varied[i];
      row.operation = op.name;
      row.nodes = rates.size();
      row.min_ops_per_s = *std::min_element(rates.begin(), rates.end());
      row.max_ops_per_s = *std::max_element(rates.begin(), rates.end());
      double sum = 0;
      for (const double rate : rates) sum += rate;
      row.mean_ops_per_s = sum / static_cast<double>(rates.size());
      double squares = 0;
      for (const double rate : rates)
        squares += (rate - row.mean_ops_per_s) * (rate - row.mean_ops_per_s);
      row.cv = std::sqrt(squares / static_cast<double>(rates.size())) / row.mean_ops_per_s;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::vector<ThreadsRow> threads_rows(const std::vector<PlacementRow>& rows,
                                     const std::vector<results::PointData>& points,
                                     const std::vector<std::string>& swept) {
  if (std::find(swept.begin(), swept.end(), "client_threads") == swept.end()) return {};
  const std::set<std::string> axis = {"client_nodes", "ranks_per_node", "client_threads",
                                      "repetition"};
  struct Cell {
    std::size_t first = 0;
    std::vector<double> startup, loop, total;
    bool oversubscribed = false;
  };
  // Groups in order of first appearance; cells by (cores, ranks): the first is the reference.
  std::vector<std::pair<std::string, std::map<std::pair<std::int64_t, std::int64_t>, Cell>>> groups;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string group = group_text(points[i], swept, axis);
    auto found =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
    if (found == groups.end()) {
      groups.emplace_back(group, std::map<std::pair<std::int64_t, std::int64_t>, Cell>{});
      found = groups.end() - 1;
    }
    const PlacementRow& row = rows[i];
    auto [it, inserted] =
        found->second.try_emplace({row.clients * row.client_threads, row.clients});
    if (inserted) it->second.first = i;
    it->second.startup.push_back(row.startup_s);
    it->second.loop.push_back(row.loop_s);
    it->second.total.push_back(row.total_s);
    it->second.oversubscribed = it->second.oversubscribed || row.oversubscribed;
  }
  std::vector<ThreadsRow> out;
  for (const auto& [group, cells] : groups) {
    const Cell& reference = cells.begin()->second;
    const double loop_1 = median_of(reference.loop);
    const double total_1 = median_of(reference.total);
    for (const auto& [key, cell] : cells) {
      const PlacementRow& row = rows[cell.first];
      ThreadsRow t;
      t.group = group;
      t.point_id = row.point_id;
      t.varied = row.varied;
      t.reference_id = rows[reference.first].point_id;
      t.ranks = row.clients;
      t.threads = row.client_threads;
      t.cores = key.first;
      t.oversubscribed = cell.oversubscribed;
      t.startup_s = median_of(cell.startup);
      t.loop_s = median_of(cell.loop);
      t.total_s = median_of(cell.total);
      t.speedup_loop = loop_1 / t.loop_s;
      t.speedup_total = total_1 / t.total_s;
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string placement_json(const std::vector<PlacementRow>& placement,
                           const std::vector<NodeSpreadRow>& spread,
                           const std::vector<ThreadsRow>& threads) {
  std::ostringstream out;
  out << ",\n  \"placement\": [";
  for (std::size_t i = 0; i < placement.size(); ++i) {
    const auto& r = placement[i];
    out << (i ? "," : "") << "\n    {\"point_id\": " << json_string(r.point_id)
        << ", \"varied\": " << json_string(r.varied) << ", \"clients\": " << r.clients
        << ", \"client_threads\": " << r.client_threads << ", \"db_threads\": " << r.db_threads
        << ", \"world_size\": " << r.world_size << ", \"nodes\": " << r.nodes
        << ", \"oversubscribed\": " << (r.oversubscribed ? "true" : "false")
        << ", \"threads_per_host\": " << r.threads_per_host
        << ", \"cpus_per_host\": " << r.cpus_per_host
        << ", \"client_peak_rss_bytes\": " << r.client_peak_rss_bytes
        << ", \"database_peak_rss_bytes\": " << r.database_peak_rss_bytes
        << ", \"placement\": " << json_string(r.placement)
        << ", \"startup_s\": " << json_number(r.startup_s)
        << ", \"loop_s\": " << json_number(r.loop_s) << ", \"total_s\": " << json_number(r.total_s)
        << "}";
  }
  out << "\n  ],\n  \"node_spread\": [";
  for (std::size_t i = 0; i < spread.size(); ++i) {
    const auto& r = spread[i];
    out << (i ? "," : "") << "\n    {\"point_id\": " << json_string(r.point_id)
        << ", \"varied\": " << json_string(r.varied)
        << ", \"operation\": " << json_string(r.operation) << ", \"nodes\": " << r.nodes
        << ", \"min_ops_per_s\": " << json_number(r.min_ops_per_s)
        << ", \"max_ops_per_s\": " << json_number(r.max_ops_per_s)
        << ", \"mean_ops_per_s\": " << json_number(r.mean_ops_per_s)
        << ", \"cv\": " << json_number(r.cv) << "}";
  }
  out << "\n  ],\n  \"threads\": [";
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const auto& r = threads[i];
    out << (i ? "," : "") << "\n    {\"group\": " << json_string(r.group)
        << ", \"point_id\": " << json_string(r.point_id)
        << ", \"varied\": " << json_string(r.varied)
        << ", \"reference_id\": " << json_string(r.reference_id) << ", \"ranks\": " << r.ranks
        << ", \"threads\": " << r.threads << ", \"cores\": " << r.cores
        << ", \"oversubscribed\": " << (r.oversubscribed ? "true" : "false")
        << ", \"startup_s\": " << json_number(r.startup_s)
        << ", \"loop_s\": " << json_number(r.loop_s) << ", \"total_s\": " << json_number(r.total_s)
        << ", \"speedup_loop\": " << json_number(r.speedup_loop)
        << ", \"speedup_total\": " << json_number(r.speedup_total) << "}";
  }
  out << "\n  ]";
  return out.str();
}

std::string placement_tables(const std::vector<PlacementRow>& placement,
                             const std::vector<NodeSpreadRow>& spread,
                             const std::vector<ThreadsRow>& threads, bool markdown, bool wide) {
  std::ostringstream out;
  const char* heading = markdown ? "### " : "";
  if (!placement.empty()) {
    out << "\n"
        << heading
        << wrapped(
               "placement and memory (client ranks x threads, database rank threads; "
               "threads/CPUs of the most loaded host and whether it was oversubscribed; peak "
               "resident memory in MiB, largest rank of each role; startup: launch to first "
               "step, slowest client; loop: slowest client's loop time; total: the job's wall "
               "time)")
        << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : placement) {
      rows.push_back({point_label(r.point_id, r.varied),
                      std::to_string(r.clients) + "x" + std::to_string(r.client_threads),
                      std::to_string(r.db_threads),
                      r.cpus_per_host > 0 ? std::to_string(r.threads_per_host) + "/" +
                                                std::to_string(r.cpus_per_host)
                                          : "",
                      r.oversubscribed ? "yes" : "", mib(r.client_peak_rss_bytes),
                      mib(r.database_peak_rss_bytes), seconds_text(r.startup_s),
                      seconds_text(r.loop_s), seconds_text(r.total_s)});
    }
    out << render_labelled_table({"point", "clients x thr", "db thr", "thr/CPUs", "oversub",
                                  "client MiB", "db MiB", "startup [s]", "loop [s]", "total [s]"},
                                 rows, markdown, wide, 1);
  }
  std::vector<std::vector<std::string>> spread_rows;
  for (const auto& r : spread) {
    if (r.nodes < 2) continue;
    spread_rows.push_back({point_label(r.point_id, r.varied), r.operation, std::to_string(r.nodes),
                           rate_text(r.min_ops_per_s, "op/s"), rate_text(r.max_ops_per_s, "op/s"),
                           rate_text(r.mean_ops_per_s, "op/s"), number(r.cv, "%.3f")});
  }
  if (!spread_rows.empty()) {
    out << "\n"
        << heading
        << wrapped(
               "per-node throughput spread (operations/s of each node's clients; cv: "
               "population std / mean over nodes)")
        << "\n";
    out << render_labelled_table({"point", "operation", "nodes", "min", "max", "mean", "cv"},
                                 spread_rows, markdown, wide, 2);
  }
  if (!threads.empty()) {
    out << "\n"
        << heading
        << wrapped(
               "processes vs threads (speed-up against the group's point with the fewest "
               "cores, then ranks; loop: slowest client's loop time; total: the job's wall "
               "time, start-up included)")
        << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : threads) {
      rows.push_back({r.group, r.point_id, std::to_string(r.ranks), std::to_string(r.threads),
                      std::to_string(r.cores), r.oversubscribed ? "yes" : "",
                      seconds_text(r.startup_s), seconds_text(r.loop_s), seconds_text(r.total_s),
                      number(r.speedup_loop, "%.2f"), number(r.speedup_total, "%.2f")});
    }
    out << render_labelled_table(
        {"group", "point", "ranks", "threads", "cores", "oversubscribed", "startup [s]", "loop [s]",
         "total [s]", "speed-up (loop)", "speed-up (total)"},
        rows, markdown, wide, 2);
  }
  return out.str();
}

}  // namespace scalestudy::report
