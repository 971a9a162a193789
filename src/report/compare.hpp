// Side-by-side comparison of points that differ in one swept key (e.g. backend: mpi vs redis),
// beside the raw MPI baseline measured in the same jobs.
#pragma once

#include <string>
#include <vector>

#include "results/point_reader.hpp"

namespace scalestudy::report {

struct ReportOptions;

struct ComparisonCell {
  bool present = false;
  double p50_s = 0;
  double bandwidth = 0;  ///< bytes / p50, bytes per second
};

struct ComparisonRow {
  std::string group;      ///< the other swept values
  std::string operation;  ///< e.g. put_tensor
  /// One cell per compared value, in Comparison::values order, then the raw baseline.
  std::vector<ComparisonCell> cells;
};

struct Comparison {
  std::string key;                  ///< the compared parameter, "" when there is none
  std::vector<std::string> values;  ///< its values, in order of first appearance
  std::vector<ComparisonRow> rows;

  /// How many times slower value `v` is than the first at p50 (p50(v) / p50(first)).
  static double slowdown(const ComparisonRow& row, std::size_t v);
  /// Bandwidth of the first value over the raw baseline's (0 when there is no raw cell).
  static double fraction_of_raw(const ComparisonRow& row);
};

/// Compares the transfer operations (those that move payload) of points grouped by every
/// swept key but `key` (and `repetition`); the raw cell of a row is `raw_<operation>` from the
/// group's point with the first value of `key`.
Comparison compare_points(const std::vector<results::PointData>& points,
                          const std::vector<std::string>& swept, const std::string& key,
                          const ReportOptions& options);

}  // namespace scalestudy::report
