// Summary statistics of timing samples, computed as numpy computes them.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace scalestudy::report {

struct Summary {
  std::size_t n = 0;
  double mean = 0;
  double std = 0;  ///< sample standard deviation (ddof=1); 0 for fewer than 2 samples
  double min = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

/// Percentile `q` (0..100) of sorted samples, interpolated linearly between the closest ranks
/// (numpy.percentile's default). `sorted` must be non-empty and ascending.
double percentile_of_sorted(std::span<const double> sorted, double q);

/// Statistics of `samples` (NaN samples are skipped). All zero when no sample remains.
Summary summarize(std::vector<double> samples);

/// An estimate with its 95 % interval; NaN bounds when there is no interval to give, an
/// infinite one when it is unbounded on that side.
struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;

  bool has_bounds() const;
  double half_width() const { return 0.5 * (high - low); }
};

/// The 97.5th percentile of Student's t with `df` degrees of freedom (df >= 1), to double
/// precision up to a few thousand degrees of freedom, to 1e-10 beyond (scipy.stats.t.ppf agrees
/// to about 1e-8).
double t_quantile_975(std::size_t df);

/// The mean of `values` (e.g. one figure per repetition) with its 95 % t-interval; NaN
/// bounds for fewer than two values.
Interval mean_interval(std::span<const double> values);

}  // namespace scalestudy::report
