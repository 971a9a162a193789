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

}  // namespace scalestudy::report
