// Building comparisons by one swept key.
#include "report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/parameters.hpp"
#include "report/format_util.hpp"
#include "report/report.hpp"

namespace scalestudy::report {
namespace {

std::string display(const results::PointData& point, const std::string& key) {
  const auto* value = point.parameter(key);
  const auto* spec = core::find_parameter(key);
  if (value == nullptr) return "?";
  return spec != nullptr ? core::display_value(*spec, *value) : core::format_value(*value);
}

ComparisonCell cell_of(const results::PointData& point, const std::string& operation,
                       const ReportOptions& options) {
  ComparisonCell cell;
  const auto* op = point.operation(operation);
  if (op == nullptr || op->bytes == 0) return cell;
  const OperationRow row = summarize_operation(*op, options);
  if (row.stats.n == 0 || row.stats.p50 <= 0) return cell;
  cell.present = true;
  cell.p50_s = row.stats.p50;
  cell.bandwidth = static_cast<double>(op->bytes) / row.stats.p50;
  return cell;
}

}  // namespace

double Comparison::slowdown(const ComparisonRow& row, std::size_t v) {
  const auto& first = row.cells.front();
  const auto& other = row.cells[v];
  return first.present && other.present ? other.p50_s / first.p50_s : std::nan("");
}

double Comparison::fraction_of_raw(const ComparisonRow& row) {
  const auto& first = row.cells.front();
  const auto& raw = row.cells.back();
  return first.present && raw.present ? first.bandwidth / raw.bandwidth : std::nan("");
}

Comparison compare_points(const std::vector<results::PointData>& points,
                          const std::vector<std::string>& swept, const std::string& key,
                          const ReportOptions& options) {
  Comparison comparison;
  comparison.key = key;
  // Groups in order of first appearance: group label -> value -> point.
  std::vector<std::pair<std::string, std::map<std::string, const results::PointData*>>> groups;
  for (const auto& point : points) {
    const std::string value = display(point, key);
    if (std::find(comparison.values.begin(), comparison.values.end(), value) ==
        comparison.values.end()) {
      comparison.values.push_back(value);
    }
    const std::string group = detail::group_text(point, swept, {key, "repetition"});
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
    if (it == groups.end()) {
      groups.emplace_back(group, std::map<std::string, const results::PointData*>{});
      it = groups.end() - 1;
    }
    it->second.emplace(value, &point);  // the first repetition stands for the value
  }
  for (const auto& [group, by_value] : groups) {
    const auto first = by_value.find(comparison.values.front());
    // Transfer operations of any point of the group, raw ones excepted.
    std::vector<std::string> operations;
    for (const auto& [value, point] : by_value) {
      for (const auto& op : point->operations) {
        if (op.bytes == 0 || op.samples <= 1 || op.name.rfind("raw_", 0) == 0) continue;
        if (std::find(operations.begin(), operations.end(), op.name) == operations.end()) {
          operations.push_back(op.name);
        }
      }
    }
    std::sort(operations.begin(), operations.end());
    for (const auto& operation : operations) {
      ComparisonRow row;
      row.group = group;
      row.operation = operation;
      for (const auto& value : comparison.values) {
        const auto it = by_value.find(value);
        row.cells.push_back(it == by_value.end() ? ComparisonCell{}
                                                 : cell_of(*it->second, operation, options));
      }
      row.cells.push_back(first == by_value.end()
                              ? ComparisonCell{}
                              : cell_of(*first->second, "raw_" + operation, options));
      comparison.rows.push_back(std::move(row));
    }
  }
  return comparison;
}

}  // namespace scalestudy::report
