// `scalestudy report`: per point and operation statistics, rates, and scaling efficiency.
#pragma once

#include <string>
#include <vector>

#include "report/compare.hpp"
#include "report/model_requests_report.hpp"
#include "report/placement_report.hpp"
#include "report/statistics.hpp"
#include "results/point_reader.hpp"
#include "results/study_index.hpp"

namespace scalestudy::report {

struct ReportOptions {
  bool include_warmup = false;  ///< warm-up samples are excluded by default
  bool include_failed = false;  ///< failed operations are excluded by default
  /// Also the completed points of older versions of the study (in points/, not in the index).
  bool include_older = false;
  /// Operation whose slowest client gives a point's time for scaling; "" picks loop_time, or
  /// raw_loop_time for points without it.
  std::string time_op;
  /// Swept parameter whose values are compared side by side (e.g. "backend"); "" takes the
  /// study's report.compare, if any.
  std::string compare;
};

struct OperationRow {
  std::string point_id;
  std::string varied;  ///< the point's swept values
  std::string operation;
  Summary stats;  ///< over the merged samples of every row (client)
  std::size_t clients = 0;
  std::size_t failed = 0;   ///< failed samples (excluded unless include_failed)
  std::uint64_t bytes = 0;  ///< payload per operation
  /// Sum over clients of samples / time spent in them; NaN for one-sample durations.
  double ops_per_s = 0;
  double bytes_per_s = 0;  ///< ops_per_s x bytes; NaN when the operation moves no payload
};

struct ScalingRow {
  std::string group;  ///< the swept values other than the scaling axis
  std::string point_id;
  std::string varied;
  std::int64_t clients = 0;     ///< client ranks (client_nodes x ranks_per_node)
  double time_s = 0;            ///< slowest client's time_op (median over repetitions)
  double speedup = 0;           ///< strong: T1/Tp; weak: scaled, (p/p1)(T1/Tp)
  double efficiency = 0;        ///< strong: T1 p1/(Tp p); weak: T1/Tp
  std::size_t repetitions = 0;  ///< of this point (the times the median is taken over)
  /// 95 % intervals with repetitions at both client counts: the ratio of the two times'
  /// t-intervals (conservative); NaN bounds otherwise.
  Interval speedup_interval;
  Interval efficiency_interval;
};

/// One operation of one point over its repetitions: each figure's mean with a 95 % t-interval
/// across the repetitions.
struct RepetitionRow {
  std::string point;  ///< swept values without the repetition
  std::string operation;
  std::size_t repetitions = 0;
  Interval p50;
  Interval mean;
  Interval ops_per_s;
};

struct Report {
  std::string title;
  std::string scaling_mode = "none";
  std::vector<OperationRow> operations;
  std::vector<ScalingRow> scaling;
  std::vector<RepetitionRow> repetitions;           ///< points repeated more than once
  std::vector<results::PointStatus> not_completed;  ///< failed, timed-out, pending points
  std::size_t older_points = 0;  ///< completed points of older versions of the study
  bool older_included = false;   ///< ... and whether the tables include them
  Comparison comparison;         ///< empty key when nothing is compared
  /// Threads, oversubscription, memory and times of every point.
  std::vector<PlacementRow> placement;
  std::vector<NodeSpreadRow> node_spread;        ///< operations/s across nodes
  std::vector<ThreadsRow> threads;               ///< processes vs threads (client_threads swept)
  std::vector<ModelRequestsRow> model_requests;  ///< inference points' database side
};

/// A report over the points of a study directory (its index.h5) or one point file.
/// Throws ResultsError when nothing can be read.
Report build_report(const std::string& dir_or_file, const ReportOptions& options);

/// A point's time for scaling: the slowest client's sum of its time operation's samples
/// (options.time_op, else loop_time, else raw_loop_time), warm-up excluded unless asked; NaN
/// when the point has no such operation.
double point_time(const results::PointData& point, const ReportOptions& options);

/// The samples of `op` the report counts, every client's merged: warm-up and failed ones left
/// out unless `options` keep them, NaN never.
std::vector<double> kept_samples(const results::OperationSamples& op, const ReportOptions& options);

/// Statistics of one operation of one point, as the report computes them.
OperationRow summarize_operation(const results::OperationSamples& op, const ReportOptions& options);

/// Renders a report: "table" (aligned, microseconds; at most kTextWidth columns unless `wide`,
/// which keeps every column and the point beside each row), "csv", "json" or "markdown"
/// (seconds in csv and json). Throws ConfigError for another format.
std::string format_report(const Report& report, const std::string& format, bool wide = false);

}  // namespace scalestudy::report
