// Whether two sets of timing samples differ: the Mann-Whitney U test and bootstrap intervals
// of the relative change of their median and mean.
#pragma once

#include <cstdint>
#include <span>

namespace scalestudy::report {

/// Two-sided p-value of the Mann-Whitney U test that `a` and `b` come from the same
/// distribution (normal approximation, with the tie and continuity corrections): what Google
/// Benchmark's compare.py and scipy's mannwhitneyu(method="asymptotic") report. 1 when either
/// side is empty or every sample is equal.
double mann_whitney_p(std::span<const double> a, std::span<const double> b);

struct RelativeChange {
  double estimate = 0;  ///< new / base - 1
  double low = 0;       ///< 95 % interval, percentile bootstrap
  double high = 0;
};

struct ChangeOfCentre {
  RelativeChange median;
  RelativeChange mean;
};

/// The change from `base` to `next` of the median and of the mean, each with a 95 % percentile
/// bootstrap interval (`resamples` resamplings of both sides, deterministic for a `seed`).
/// NaN fields when a side is empty or its median or mean is not positive.
ChangeOfCentre change_of_centre(std::span<const double> base, std::span<const double> next,
                                int resamples = 500, std::uint64_t seed = 1);

}  // namespace scalestudy::report
