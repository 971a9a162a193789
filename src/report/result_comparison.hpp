// `scalestudy compare BASE NEW`: two result sets (before and after a change, machine A and B)
// matched point by point on their resolved parameters, every operation's change tested.
#pragma once

#include <string>
#include <vector>

#include "report/report.hpp"
#include "report/significance.hpp"

namespace scalestudy::report {

struct CompareOptions {
  double threshold = 0.05;  ///< smallest relative change of the p50 that counts (--threshold)
  double alpha = 0.05;      ///< significance level of the U test
  ReportOptions samples;    ///< which samples count (warm-up, failed)
};

struct SideFigures {
  std::size_t n = 0;
  double p50 = 0;
  double mean = 0;
};

struct ChangeRow {
  std::string point;  ///< the point's swept values (repetitions pooled)
  std::string base_id;
  std::string new_id;
  std::string operation;
  SideFigures base;
  SideFigures next;
  ChangeOfCentre change;  ///< of the median (p50) and of the mean, with 95 % intervals
  double p_value = 1;     ///< Mann-Whitney U, two-sided
  /// regressed | improved: significant, the p50 changed by more than the threshold and its
  /// interval excludes no change;
  /// unchanged: the p50's interval lies within the threshold; noisy: neither.
  std::string verdict;
};

struct SetComparison {
  std::string base_title;
  std::string new_title;
  CompareOptions options;
  std::size_t matched = 0;                ///< points (parameter sets) in both
  std::vector<std::string> only_in_base;  ///< swept values of points only in one set
  std::vector<std::string> only_in_new;
  std::vector<ChangeRow> rows;

  std::size_t count(const std::string& verdict) const;
  /// Whether some change beyond the threshold is significant (compare's exit status 1).
  bool changed() const { return count("regressed") + count("improved") > 0; }
};

/// Reads both result sets (study directories or point files), matches points whose resolved
/// parameters are equal (all but `output` and `repetition`: repetitions are pooled), and tests
/// every operation both have. Throws ResultsError when a set cannot be read.
SetComparison compare_result_sets(const std::string& base, const std::string& next,
                                  const CompareOptions& options);

/// The verdict for a change (see ChangeRow::verdict).
std::string verdict_of(const ChangeOfCentre& change, double p_value, const CompareOptions& options);

/// Renders a comparison as "table" (folded to kTextWidth columns unless `wide`), "markdown",
/// "csv" or "json".
std::string format_set_comparison(const SetComparison& comparison, const std::string& format,
                                  bool wide = false);

}  // namespace scalestudy::report
