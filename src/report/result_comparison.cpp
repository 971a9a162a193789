// Matching two result sets and testing each operation's change.
#include "report/result_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/parameters.hpp"
#include "report/format_util.hpp"
#include "report/result_set.hpp"

namespace scalestudy::report {
namespace {

using namespace detail;  // the table and number formatting

/// The points of one parameter set: repetitions of one point.
struct Group {
  std::string label;
  std::string id;  ///< the first repetition's
  std::vector<const results::PointData*> points;
};

/// The point's resolved parameters, but where its results went and which repetition it was.
std::string parameters_key(const results::PointData& point) {
  std::vector<std::string> lines;
  for (const auto& parameter : point.parameters) {
    if (parameter.name == "output" || parameter.name == "repetition") continue;
    lines.push_back(parameter.name + "=" + core::format_value(parameter.value));
  }
  std::sort(lines.begin(), lines.end());
  std::string key;
  for (const auto& line : lines) key += line + '\n';
  return key;
}

std::map<std::string, Group> groups_of(const ResultSet& set, std::vector<std::string>& order) {
  std::map<std::string, Group> groups;
  for (std::size_t i = 0; i < set.points.size(); ++i) {
    const std::string key = parameters_key(set.points[i]);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) {
      it->second.label = without_repetition(set.varied[i]);
      if (it->second.label.empty()) it->second.label = "the only point";
      it->second.id = set.ids[i];
      order.push_back(key);
    }
    it->second.points.push_back(&set.points[i]);
  }
  return groups;
}

std::vector<double> pooled_samples(const Group& group, const std::string& operation,
                                   const ReportOptions& options) {
  std::vector<double> samples;
  for (const auto* point : group.points) {
    if (const auto* op = point->operation(operation)) {
      const auto kept = kept_samples(*op, options);
      samples.insert(samples.end(), kept.begin(), kept.end());
    }
  }
  return samples;
}

SideFigures figures_of(const std::vector<double>& samples) {
  const Summary s = summarize(samples);
  return {s.n, s.p50, s.mean};
}

std::string percent(double change) {
  if (!std::isfinite(change)) return "";
  char text[32];
  std::snprintf(text, sizeof(text), "%+.1f%%", change * 100);
  return text;
}

std::string interval_text(const RelativeChange& change) {
  if (!std::isfinite(change.low)) return percent(change.estimate);
  char text[64];
  std::snprintf(text, sizeof(text), "%+.1f%% [%+.1f, %+.1f]", change.estimate * 100,
                change.low * 100, change.high * 100);
  return text;
}

std::string p_text(double p) {
  if (p < 1e-6) return "<1e-6";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2g", p);
  return text;
}

std::string summary_line(const SetComparison& c) {
  std::ostringstream out;
  out << c.matched << " points matched";
  if (!c.only_in_base.empty() || !c.only_in_new.empty()) {
    out << " (" << c.only_in_base.size() << " only in base, " << c.only_in_new.size()
        << " only in new)";
  }
  out << ", " << c.rows.size() << " operations: ";
  if (!c.changed()) {
    out << "no significant change";
  } else {
    out << c.count("regressed") << " regressed, " << c.count("improved") << " improved";
  }
  out << "; " << c.count("unchanged") << " unchanged, " << c.count("noisy") << " noisy (threshold "
      << number(c.options.threshold * 100, "%g") << "% of the p50, U test at "
      << number(c.options.alpha * 100, "%g") << "%)";
  return out.str();
}

}  // namespace

std::size_t SetComparison::count(const std::string& verdict) const {
  return static_cast<std::size_t>(std::count_if(
      rows.begin(), rows.end(), [&](const ChangeRow& row) { return row.verdict == verdict; }));
}

std::string verdict_of(const ChangeOfCentre& change, double p_value,
                       const CompareOptions& options) {
  const auto& median = change.median;
  const double t = options.threshold;
  // The U test pools every sample; the interval must agree that the p50 moved at all.
  const bool significant = p_value < options.alpha;
  if (significant && median.estimate > t && median.low > 0) return "regressed";
  if (significant && median.estimate < -t && median.high < 0) return "improved";
  if (std::isfinite(median.low) && median.low >= -t && median.high <= t) return "unchanged";
  return "noisy";
}

SetComparison compare_result_sets(const std::string& base, const std::string& next,
                                  const CompareOptions& options) {
  const ResultSet base_set = read_result_set(base);
  const ResultSet new_set = read_result_set(next);
  SetComparison comparison;
  comparison.base_title = base + " (" + base_set.title + ")";
  comparison.new_title = next + " (" + new_set.title + ")";
  comparison.options = options;
  std::vector<std::string> base_order;
  std::vector<std::string> new_order;
  const auto base_groups = groups_of(base_set, base_order);
  const auto new_groups = groups_of(new_set, new_order);
  for (const auto& key : base_order) {
    if (!new_groups.count(key)) comparison.only_in_base.push_back(base_groups.at(key).label);
  }
  for (const auto& key : new_order) {
    const Group& after = new_groups.at(key);
    const auto match = base_groups.find(key);
    if (match == base_groups.end()) {
      comparison.only_in_new.push_back(after.label);
      continue;
    }
    ++comparison.matched;
    const Group& before = match->second;
    for (const auto& op : after.points.front()->operations) {
      if (before.points.front()->operation(op.name) == nullptr) continue;
      const auto a = pooled_samples(before, op.name, options.samples);
      const auto b = pooled_samples(after, op.name, options.samples);
      if (a.empty() || b.empty()) continue;
      ChangeRow row;
      row.point = after.label;
      row.base_id = before.id;
      row.new_id = after.id;
      row.operation = op.name;
      row.base = figures_of(a);
      row.next = figures_of(b);
      row.change = change_of_centre(a, b);
      row.p_value = mann_whitney_p(a, b);
      row.verdict = verdict_of(row.change, row.p_value, options);
      comparison.rows.push_back(std::move(row));
    }
  }
  return comparison;
}

std::string format_set_comparison(const SetComparison& c, const std::string& format, bool wide) {
  std::ostringstream out;
  const auto interval = [](const RelativeChange& r) {
    return "[" + json_number(r.low) + ", " + json_number(r.high) + "]";
  };
  if (format == "json") {
    out << "{\n  \"base\": " << json_string(c.base_title)
        << ",\n  \"new\": " << json_string(c.new_title)
        << ",\n  \"threshold\": " << json_number(c.options.threshold)
        << ",\n  \"alpha\": " << json_number(c.options.alpha) << ",\n  \"matched\": " << c.matched
        << ",\n  \"changed\": " << (c.changed() ? "true" : "false") << ",\n  \"only_in_base\": [";
    for (std::size_t i = 0; i < c.only_in_base.size(); ++i) {
      out << (i ? ", " : "") << json_string(c.only_in_base[i]);
    }
    out << "],\n  \"only_in_new\": [";
    for (std::size_t i = 0; i < c.only_in_new.size(); ++i) {
      out << (i ? ", " : "") << json_string(c.only_in_new[i]);
    }
    out << "],\n  \"rows\": [";
    for (std::size_t i = 0; i < c.rows.size(); ++i) {
      const auto& r = c.rows[i];
      out << (i ? "," : "") << "\n    {\"point\": " << json_string(r.point)
          << ", \"base_id\": " << json_string(r.base_id)
          << ", \"new_id\": " << json_string(r.new_id)
          << ", \"operation\": " << json_string(r.operation) << ", \"base_n\": " << r.base.n
          << ", \"new_n\": " << r.next.n << ", \"base_p50_s\": " << json_number(r.base.p50)
          << ", \"new_p50_s\": " << json_number(r.next.p50)
          << ", \"base_mean_s\": " << json_number(r.base.mean)
          << ", \"new_mean_s\": " << json_number(r.next.mean)
          << ", \"p50_change\": " << json_number(r.change.median.estimate)
          << ", \"p50_change_ci\": " << interval(r.change.median)
          << ", \"mean_change\": " << json_number(r.change.mean.estimate)
          << ", \"mean_change_ci\": " << interval(r.change.mean)
          << ", \"p_value\": " << json_number(r.p_value)
          << ", \"verdict\": " << json_string(r.verdict) << "}";
    }
    out << "\n  ]\n}\n";
    return out.str();
  }
  if (format == "csv") {
    out << "point,base_id,new_id,operation,base_n,new_n,base_p50_s,new_p50_s,base_mean_s,"
           "new_mean_s,p50_change,p50_change_low,p50_change_high,mean_change,mean_change_low,"
           "mean_change_high,p_value,verdict\n";
    for (const auto& r : c.rows) {
      out << csv_field(r.point) << "," << r.base_id << "," << r.new_id << "," << r.operation << ","
          << r.base.n << "," << r.next.n << "," << number(r.base.p50) << "," << number(r.next.p50)
          << "," << number(r.base.mean) << "," << number(r.next.mean) << ","
          << number(r.change.median.estimate) << "," << number(r.change.median.low) << ","
          << number(r.change.median.high) << "," << number(r.change.mean.estimate) << ","
          << number(r.change.mean.low) << "," << number(r.change.mean.high) << ","
          << number(r.p_value) << "," << r.verdict << "\n";
    }
    return out.str();
  }
  if (format != "table" && format != "markdown") {
    throw ConfigError("unknown compare format '" + format + "' (table, csv, json or markdown)");
  }
  const bool markdown = format == "markdown";
  out << (markdown ? "## " : "") << "compare\n"
      << (markdown ? "\n- " : "  ") << "base: " << c.base_title << "\n"
      << (markdown ? "- " : "  ") << "new:  " << c.new_title << "\n\n"
      << wrapped(summary_line(c)) << "\n";
  const std::vector<std::string> header = {
      "point",       "operation", "base p50 [us]", "new p50 [us]", "p50 change [95% CI]",
      "mean change", "p (U)",     "verdict"};
  std::vector<std::vector<std::string>> rows;
  std::string previous;
  for (const auto& r : c.rows) {
    const auto us = [](double seconds) { return number(seconds * 1e6, "%.2f"); };
    rows.push_back({r.point == previous ? "" : r.point, r.operation, us(r.base.p50), us(r.next.p50),
                    interval_text(r.change.median), percent(r.change.mean.estimate),
                    p_text(r.p_value), r.verdict});
    previous = r.point;
  }
  out << render_labelled_table(header, rows, markdown, wide, 2);
  for (const auto& [label, list] :
       {std::pair{"only in base", &c.only_in_base}, std::pair{"only in new", &c.only_in_new}}) {
    if (list->empty()) continue;
    out << "\n" << (markdown ? "### " : "") << "points " << label << " (not compared):\n";
    for (const auto& point : *list) out << (markdown ? "- " : "  ") << point << "\n";
  }
  return out.str();
}

}  // namespace scalestudy::report
