// Building and rendering reports.
#include "report/report.hpp"
#include "report/result_set.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "report/format_util.hpp"

namespace scalestudy::report {

using namespace detail;  // the table and number formatting

namespace {

const core::ParamValue* parameter(const results::PointData& point, const std::string& name) {
  return point.parameter(name);
}

std::int64_t integer_parameter(const results::PointData& point, const std::string& name) {
  const auto* value = parameter(point, name);
  if (value == nullptr || !std::holds_alternative<std::int64_t>(*value)) return 0;
  return std::get<std::int64_t>(*value);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, 50);
}

std::vector<ScalingRow> scaling_rows(const std::vector<results::PointData>& points,
                                     const std::vector<std::string>& ids,
                                     const std::vector<std::string>& varied,
                                     const std::string& mode, const std::vector<std::string>& swept,
                                     const std::vector<std::string>& divided,
                                     const ReportOptions& options) {
  std::set<std::string> axis = {"client_nodes", "ranks_per_node", "repetition"};
  axis.insert(divided.begin(), divided.end());
  // Groups in the order their first point appears; within a group, cells by client count.
  struct Cell {
    std::vector<double> times;
    std::size_t first = 0;
  };
  std::vector<std::pair<std::string, std::map<std::int64_t, Cell>>> groups;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double time = point_time(points[i], options);
    if (std::isnan(time)) continue;
    const std::string group = group_text(points[i], swept, axis);
    const std::int64_t clients = integer_parameter(points[i], "client_nodes") *
                                 integer_parameter(points[i], "ranks_per_node");
    auto found =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
    if (found == groups.end()) {
      groups.emplace_back(group, std::map<std::int64_t, Cell>{});
      found = groups.end() - 1;
    }
    auto [it, inserted] = found->second.try_emplace(clients);
    if (inserted) it->second.first = i;
    it->second.times.push_back(time);
  }
  std::vector<ScalingRow> rows;
  for (const auto& [group, by_clients] : groups) {
    const std::int64_t p1 = by_clients.begin()->first;
    const double t1 = median(by_clients.begin()->second.times);
    const Interval t1_interval = mean_interval(by_clients.begin()->second.times);
    for (const auto& [clients, cell] : by_clients) {
      ScalingRow row;
      row.group = group;
      row.point_id = ids[cell.first];
      row.varied = varied[cell.first];
      row.clients = clients;
      row.time_s = median(cell.times);
      const double ratio = static_cast<double>(clients) / static_cast<double>(p1);
      if (mode == "strong") {
        row.speedup = t1 / row.time_s;
        row.efficiency = row.speedup / ratio;
      } else {
        row.efficiency = t1 / row.time_s;
        row.speedup = ratio * row.efficiency;
      }
      row.repetitions = cell.times.size();
      // T1/Tp at its most and least: the ratio of the two cells' intervals.
      const Interval tp = mean_interval(cell.times);
      const double nan = std::nan("");
      Interval ratio_of_times{t1 / row.time_s, nan, nan};
      if (t1_interval.has_bounds() && tp.has_bounds()) {
        // A time whose interval reaches zero bounds the ratio on one side only.
        ratio_of_times.low = std::max(0.0, t1_interval.low) / tp.high;
        ratio_of_times.high = tp.low > 0 ? t1_interval.high / tp.low : HUGE_VAL;
      }
      const double to_speedup = mode == "strong" ? 1 : ratio;
      const double to_efficiency = mode == "strong" ? 1 / ratio : 1;
      row.speedup_interval = {row.speedup, ratio_of_times.low * to_speedup,
                              ratio_of_times.high * to_speedup};
      row.efficiency_interval = {row.efficiency, ratio_of_times.low * to_efficiency,
                                 ratio_of_times.high * to_efficiency};
      rows.push_back(row);
    }
  }
  return rows;
}

/// Operation rows of repeated points, each figure's mean and interval over the repetitions.
std::vector<RepetitionRow> repetition_rows(const std::vector<OperationRow>& operations) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<const OperationRow*>>>
      groups;  // (point without repetition, operation) -> rows, in order of appearance
  bool repeated = false;
  for (const auto& row : operations) {
    const std::string point = without_repetition(row.varied);
    repeated = repeated || point != row.varied;
    const std::pair key{point, row.operation};
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) {
      groups.emplace_back(key, std::vector<const OperationRow*>{});
      it = groups.end() - 1;
    }
    it->second.push_back(&row);
  }
  std::vector<RepetitionRow> rows;
  if (!repeated) return rows;
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    std::vector<double> p50;
    std::vector<double> mean;
    std::vector<double> rate;
    for (const auto* row : members) {
      p50.push_back(row->stats.p50);
      mean.push_back(row->stats.mean);
      rate.push_back(row->ops_per_s);
    }
    RepetitionRow row{key.first,          key.second,          members.size(),
                      mean_interval(p50), mean_interval(mean), mean_interval(rate)};
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

double point_time(const results::PointData& point, const ReportOptions& options) {
  const results::OperationSamples* op = nullptr;
  if (!options.time_op.empty()) {
    op = point.operation(options.time_op);
  } else {
    op = point.operation("loop_time");
    if (op == nullptr) op = point.operation("raw_loop_time");
  }
  if (op == nullptr) return std::nan("");
  double slowest = 0;
  for (std::size_t r = 0; r < op->rows; ++r) {
    double row_time = 0;
    for (std::size_t s = 0; s < op->samples; ++s) {
      if (!options.include_warmup && op->warmup[s]) continue;
      row_time += op->at(r, s);
    }
    slowest = std::max(slowest, row_time);
  }
  return slowest;
}

std::vector<double> kept_samples(const results::OperationSamples& op,
                                 const ReportOptions& options) {
  std::vector<double> kept;
  kept.reserve(op.rows * op.samples);
  for (std::size_t r = 0; r < op.rows; ++r) {
    for (std::size_t s = 0; s < op.samples; ++s) {
      if (!options.include_warmup && op.warmup[s]) continue;
      if (op.failed_at(r, s) && !options.include_failed) continue;
      const double seconds = op.at(r, s);
      if (!std::isnan(seconds)) kept.push_back(seconds);
    }
  }
  return kept;
}

OperationRow summarize_operation(const results::OperationSamples& op,
                                 const ReportOptions& options) {
  OperationRow row;
  row.operation = op.name;
  row.bytes = op.bytes;
  row.clients = op.rows;
  for (std::size_t r = 0; r < op.rows; ++r) {
    double busy = 0;
    std::size_t count = 0;
    for (std::size_t s = 0; s < op.samples; ++s) {
      if (!options.include_warmup && op.warmup[s]) continue;
      const bool failed = op.failed_at(r, s);
      row.failed += failed;
      if (failed && !options.include_failed) continue;
      const double seconds = op.at(r, s);
      if (std::isnan(seconds)) continue;
      busy += seconds;
      ++count;
    }
    if (busy > 0) row.ops_per_s += static_cast<double>(count) / busy;
  }
  // One sample per client (client_init, loop_time) is a duration, not a repeated operation.
  if (op.samples <= 1) row.ops_per_s = std::nan("");
  row.stats = summarize(kept_samples(op, options));
  row.bytes_per_s = row.bytes > 0 ? row.ops_per_s * static_cast<double>(row.bytes) : std::nan("");
  return row;
}

Report build_report(const std::string& dir_or_file, const ReportOptions& options) {
  Report report;
  ResultSet set = read_result_set(dir_or_file, options.include_older);
  report.title = set.title;
  report.older_points = set.older_ids.size();
  report.older_included = set.older_included;
  report.scaling_mode = set.attributes.empty() ? "none" : set.attribute("scaling_mode");
  if (report.scaling_mode.empty()) report.scaling_mode = "none";
  report.not_completed = std::move(set.not_completed);
  const std::vector<std::string> swept = set.list_attribute("swept_keys");
  const std::vector<std::string> divided = set.list_attribute("scaling_divide");
  const std::string compare =
      options.compare.empty() ? set.attribute("report_compare") : options.compare;
  const auto& points = set.points;
  const auto& ids = set.ids;
  const auto& varied = set.varied;
  const auto& durations = set.durations;
  for (std::size_t i = 0; i < points.size(); ++i) {
    for (const auto& op : points[i].operations) {
      OperationRow row = summarize_operation(op, options);
      row.point_id = ids[i];
      row.varied = varied[i];
      report.operations.push_back(std::move(row));
    }
  }
  report.repetitions = repetition_rows(report.operations);
  if (report.scaling_mode != "none") {
    report.scaling =
        scaling_rows(points, ids, varied, report.scaling_mode, swept, divided, options);
  }
  if (!compare.empty()) {
    if (std::find(swept.begin(), swept.end(), compare) == swept.end()) {
      std::string list;
      for (const auto& key : swept) list += (list.empty() ? "" : ", ") + key;
      throw ConfigError("--compare " + compare + ": not a swept parameter of this study (swept: " +
                        (list.empty() ? "none" : list) + ")");
    }
    report.comparison = compare_points(points, swept, compare, options);
  }
  report.placement = placement_rows(points, ids, varied, durations, options);
  report.node_spread = node_spread_rows(points, ids, varied, options);
  report.threads = threads_rows(report.placement, points, swept);
  report.model_requests = model_requests_rows(points, ids, varied);
  return report;
}

std::string format_report(const Report& report, const std::string& format, bool wide) {
  std::ostringstream out;
  if (format == "json") {
    out << "{\n  \"title\": " << json_string(report.title)
        << ",\n  \"older_points\": " << report.older_points
        << ",\n  \"older_included\": " << (report.older_included ? "true" : "false")
        << ",\n  \"scaling_mode\": " << json_string(report.scaling_mode)
        << ",\n  \"operations\": [";
    for (std::size_t i = 0; i < report.operations.size(); ++i) {
      const auto& r = report.operations[i];
      out << (i ? "," : "") << "\n    {\"point_id\": " << json_string(r.point_id)
          << ", \"varied\": " << json_string(r.varied)
          << ", \"operation\": " << json_string(r.operation) << ", \"n\": " << r.stats.n
          << ", \"mean_s\": " << json_number(r.stats.mean)
          << ", \"std_s\": " << json_number(r.stats.std)
          << ", \"min_s\": " << json_number(r.stats.min)
          << ", \"p50_s\": " << json_number(r.stats.p50)
          << ", \"p90_s\": " << json_number(r.stats.p90)
          << ", \"p99_s\": " << json_number(r.stats.p99)
          << ", \"max_s\": " << json_number(r.stats.max) << ", \"clients\": " << r.clients
          << ", \"failed\": " << r.failed << ", \"bytes\": " << r.bytes
          << ", \"ops_per_s\": " << json_number(r.ops_per_s)
          << ", \"bytes_per_s\": " << json_number(r.bytes_per_s) << "}";
    }
    out << "\n  ],\n  \"scaling\": [";
    for (std::size_t i = 0; i < report.scaling.size(); ++i) {
      const auto& r = report.scaling[i];
      out << (i ? "," : "") << "\n    {\"group\": " << json_string(r.group)
          << ", \"point_id\": " << json_string(r.point_id)
          << ", \"varied\": " << json_string(r.varied) << ", \"clients\": " << r.clients
          << ", \"time_s\": " << json_number(r.time_s)
          << ", \"speedup\": " << json_number(r.speedup)
          << ", \"efficiency\": " << json_number(r.efficiency)
          << ", \"repetitions\": " << r.repetitions << ", \"speedup_ci\": ["
          << json_number(r.speedup_interval.low) << ", " << json_number(r.speedup_interval.high)
          << "], \"efficiency_ci\": [" << json_number(r.efficiency_interval.low) << ", "
          << json_number(r.efficiency_interval.high) << "]}";
    }
    out << "\n  ],\n  \"repetitions\": [";
    const auto interval_json = [](const char* name, const Interval& i) {
      return std::string(", \"") + name + "\": " + json_number(i.estimate) + ", \"" + name +
             "_ci\": [" + json_number(i.low) + ", " + json_number(i.high) + "]";
    };
    for (std::size_t i = 0; i < report.repetitions.size(); ++i) {
      const auto& r = report.repetitions[i];
      out << (i ? "," : "") << "\n    {\"point\": " << json_string(r.point)
          << ", \"operation\": " << json_string(r.operation)
          << ", \"repetitions\": " << r.repetitions << interval_json("p50_s", r.p50)
          << interval_json("mean_s", r.mean) << interval_json("ops_per_s", r.ops_per_s) << "}";
    }
    out << "\n  ],\n  \"comparison\": {\"key\": " << json_string(report.comparison.key)
        << ", \"values\": [";
    for (std::size_t v = 0; v < report.comparison.values.size(); ++v) {
      out << (v ? ", " : "") << json_string(report.comparison.values[v]);
    }
    out << "], \"rows\": [";
    for (std::size_t i = 0; i < report.comparison.rows.size(); ++i) {
      const auto& r = report.comparison.rows[i];
      out << (i ? "," : "") << "\n    {\"group\": " << json_string(r.group)
          << ", \"operation\": " << json_string(r.operation) << ", \"cells\": {";
      for (std::size_t c = 0; c < r.cells.size(); ++c) {
        const bool raw = c == r.cells.size() - 1;
        const std::string name = raw ? "raw" : report.comparison.values[c];
        out << (c ? ", " : "") << json_string(name)
            << ": {\"p50_s\": " << json_number(r.cells[c].present ? r.cells[c].p50_s : std::nan(""))
            << ", \"bandwidth\": "
            << json_number(r.cells[c].present ? r.cells[c].bandwidth : std::nan("")) << "}";
      }
      out << "}}";
    }
    out << "\n  ]},\n  \"not_completed\": [";
    for (std::size_t i = 0; i < report.not_completed.size(); ++i) {
      const auto& p = report.not_completed[i];
      out << (i ? "," : "") << "\n    {\"point_id\": " << json_string(p.id)
          << ", \"varied\": " << json_string(p.varied) << ", \"status\": " << json_string(p.status)
          << ", \"exit_status\": " << p.exit_status << ", \"reason\": " << json_string(p.reason)
          << ", \"log_tail\": " << json_string(p.log_tail) << "}";
    }
    out << "\n  ]" << placement_json(report.placement, report.node_spread, report.threads)
        << model_requests_json(report.model_requests) << "\n}\n";
    return out.str();
  }
  if (format == "csv") {
    out << "point_id,varied,operation,n,mean_s,std_s,min_s,p50_s,p90_s,p99_s,max_s,clients,"
           "failed,bytes,ops_per_s,bytes_per_s\n";
    for (const auto& r : report.operations) {
      out << r.point_id << "," << csv_field(r.varied) << "," << r.operation << "," << r.stats.n
          << "," << number(r.stats.mean) << "," << number(r.stats.std) << "," << number(r.stats.min)
          << "," << number(r.stats.p50) << "," << number(r.stats.p90) << "," << number(r.stats.p99)
          << "," << number(r.stats.max) << "," << r.clients << "," << r.failed << "," << r.bytes
          << "," << number(r.ops_per_s) << "," << number(r.bytes_per_s) << "\n";
    }
    return out.str();
  }
  if (format != "table" && format != "markdown") {
    throw ConfigError("unknown report format '" + format + "' (table, csv, json or markdown)");
  }
  const bool markdown = format == "markdown";
  out << (markdown ? "## " : "") << report.title << "\n\n";
  if (report.older_points > 0) {
    out << report.older_points << " completed points in the results folder are not points of "
        << "the study as it is now (an older version of it ran them): "
        << (report.older_included ? "included below, labelled 'older'"
                                  : "left out; --include-older includes them")
        << "\n\n";
  }
  // The text view leaves out std and min (--wide has them) and folds the point column.
  const bool all_columns = markdown || wide;
  std::vector<std::string> header = {"point",    "operation", "n",        "mean [us]",
                                     "std [us]", "min [us]",  "p50 [us]", "p90 [us]",
                                     "p99 [us]", "max [us]",  "ops/s",    "bandwidth"};
  if (!all_columns) header.erase(header.begin() + 4, header.begin() + 6);
  std::vector<std::vector<std::string>> rows;
  std::string previous;
  for (const auto& r : report.operations) {
    const auto us = [](double seconds) { return number(seconds * 1e6, "%.2f"); };
    rows.push_back({first_row_label(r.point_id, r.varied, previous), r.operation,
                    std::to_string(r.stats.n), us(r.stats.mean), us(r.stats.std), us(r.stats.min),
                    us(r.stats.p50), us(r.stats.p90), us(r.stats.p99), us(r.stats.max),
                    rate_text(r.ops_per_s, "op/s"), rate_text(r.bytes_per_s, "B/s")});
    if (!all_columns) rows.back().erase(rows.back().begin() + 4, rows.back().begin() + 6);
  }
  out << render_labelled_table(header, rows, markdown, wide, 2);
  if (!report.scaling.empty()) {
    out << "\n"
        << (markdown ? "### " : "")
        << wrapped("scaling (" + report.scaling_mode +
                   (report.scaling_mode == "strong"
                        ? ": speed-up T1/Tp, efficiency T1 p1/(Tp p)"
                        : ": speed-up (p/p1)(T1/Tp), efficiency T1/Tp") +
                   "; T = slowest client's loop time, median over repetitions)")
        << "\n";
    const bool intervals =
        std::any_of(report.scaling.begin(), report.scaling.end(),
                    [](const auto& r) { return std::isfinite(r.speedup_interval.low); });
    const auto bounds = [](const Interval& i) {
      if (!std::isfinite(i.low)) return std::string();
      return "[" + number(i.low, "%.2f") + ", " +
             (std::isfinite(i.high) ? number(i.high, "%.2f") : std::string("inf")) + "]";
    };
    std::vector<std::vector<std::string>> scaling;
    for (const auto& r : report.scaling) {
      scaling.push_back({r.group, r.point_id, std::to_string(r.clients), number(r.time_s, "%.6f"),
                         number(r.speedup, "%.2f"), number(r.efficiency, "%.2f")});
      if (intervals) {
        scaling.back().insert(scaling.back().begin() + 5, bounds(r.speedup_interval));
        scaling.back().push_back(bounds(r.efficiency_interval));
      }
    }
    std::vector<std::string> columns = {"group",    "point",    "clients",
                                        "time [s]", "speed-up", "efficiency"};
    if (intervals) {
      columns.insert(columns.begin() + 5, "95% CI");
      columns.push_back("95% CI");
    }
    out << render_labelled_table(columns, scaling, markdown, wide, 2);
    if (intervals) {
      out << "(intervals over repetitions: the two times' 95% t-intervals divided: "
             "conservative)\n";
    }
  }
  if (!report.repetitions.empty()) {
    out << "\n"
        << (markdown ? "### " : "")
        << "repetitions (each figure's mean over them, +- half its 95% t-interval)\n\n";
    const auto plus_minus = [](const Interval& i, double scale, const char* printf_format) {
      std::string text = number(i.estimate * scale, printf_format);
      if (i.has_bounds()) text += " +- " + number(i.half_width() * scale, printf_format);
      return text;
    };
    std::vector<std::vector<std::string>> repeated;
    std::string previous_point;
    for (const auto& r : report.repetitions) {
      repeated.push_back(
          {r.point == previous_point ? "" : r.point, r.operation, std::to_string(r.repetitions),
           plus_minus(r.p50, 1e6, "%.2f"), plus_minus(r.mean, 1e6, "%.2f"),
           std::isfinite(r.ops_per_s.estimate) ? plus_minus(r.ops_per_s, 1, "%.0f") : ""});
      previous_point = r.point;
    }
    out << render_labelled_table({"point", "operation", "reps", "p50 [us]", "mean [us]", "ops/s"},
                                 repeated, markdown, wide, 2);
  }
  if (!report.comparison.rows.empty()) {
    const auto& c = report.comparison;
    out << "\n"
        << (markdown ? "### " : "")
        << wrapped("comparison by " + c.key +
                   " (p50 latency and bandwidth = bytes / p50; raw: plain MPI in the " +
                   c.values.front() + " point's job)")
        << "\n";
    std::vector<std::string> columns = {"group", "operation"};
    for (const auto& value : c.values) {
      columns.push_back(value + " p50 [us]");
      columns.push_back(value + " GB/s");
    }
    columns.push_back("raw p50 [us]");
    columns.push_back("raw GB/s");
    for (std::size_t v = 1; v < c.values.size(); ++v) {
      columns.push_back(c.values[v] + "/" + c.values.front() + " p50");
    }
    columns.push_back(c.values.front() + "/raw GB/s");
    std::vector<std::vector<std::string>> compared;
    for (const auto& r : c.rows) {
      std::vector<std::string> cells = {r.group, r.operation};
      for (const auto& cell : r.cells) {
        cells.push_back(cell.present ? number(cell.p50_s * 1e6, "%.2f") : "");
        cells.push_back(cell.present ? number(cell.bandwidth / 1e9, "%.3f") : "");
      }
      for (std::size_t v = 1; v < c.values.size(); ++v) {
        cells.push_back(number(Comparison::slowdown(r, v), "%.2fx"));
      }
      cells.push_back(number(Comparison::fraction_of_raw(r), "%.2f"));
      compared.push_back(std::move(cells));
    }
    out << render_labelled_table(columns, compared, markdown, wide, 2);
  }
  out << model_requests_table(report.model_requests, markdown, wide);
  out << placement_tables(report.placement, report.node_spread, report.threads, markdown, wide);
  if (!report.not_completed.empty()) {
    out << "\n" << (markdown ? "### " : "") << "not completed\n\n";
    for (const auto& p : report.not_completed) {
      out << (markdown ? "- " : "  ") << p.id << " (" << p.varied << "): " << p.status
          << (p.reason.empty() ? "" : ": " + p.reason) << "\n";
    }
  }
  return out.str();
}

}  // namespace scalestudy::report
