// Rank tests and bootstrap intervals for comparing two result sets.
#include "report/significance.hpp"
#include "report/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace scalestudy::report {
namespace {

/// The median of `values` (reordered), as numpy interpolates it.
double median_of(std::vector<double>& values) {
  const std::size_t n = values.size();
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (n % 2 == 1) return *middle;
  const double upper = *middle;
  const double lower = *std::max_element(values.begin(), middle);
  return 0.5 * (lower + upper);
}

double mean_of(std::span<const double> values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

/// The 2.5th and 97.5th percentiles of `ratios`, as changes.
void interval(std::vector<double>& ratios, RelativeChange& change) {
  std::sort(ratios.begin(), ratios.end());
  change.low = percentile_of_sorted(ratios, 2.5) - 1;
  change.high = percentile_of_sorted(ratios, 97.5) - 1;
}

}  // namespace

double mann_whitney_p(std::span<const double> a, std::span<const double> b) {
  const double n1 = static_cast<double>(a.size());
  const double n2 = static_cast<double>(b.size());
  if (a.empty() || b.empty()) return 1;
  // Ranks of the pooled samples, ties given their average rank.
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  pooled.reserve(a.size() + b.size());
  for (const double v : a) pooled.emplace_back(v, true);
  for (const double v : b) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  double rank_sum_a = 0;
  double tie_term = 0;  // sum of t^3 - t over groups of ties
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k) {
      if (pooled[k].second) rank_sum_a += average_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }
  const double u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double n = n1 + n2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (!(variance > 0)) return 1;
  const double z = (std::fabs(u - n1 * n2 / 2) - 0.5) / std::sqrt(variance);
  return std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)));
}

ChangeOfCentre change_of_centre(std::span<const double> base, std::span<const double> next,
                                int resamples, std::uint64_t seed) {
  ChangeOfCentre change;
  const double nan = std::nan("");
  change.median = {nan, nan, nan};
  change.mean = {nan, nan, nan};
  if (base.empty() || next.empty()) return change;
  std::vector<double> a(base.begin(), base.end());
  std::vector<double> b(next.begin(), next.end());
  const double base_median = median_of(a);
  const double next_median = median_of(b);
  const double base_mean = mean_of(base);
  const double next_mean = mean_of(next);
  if (base_median > 0) change.median.estimate = next_median / base_median - 1;
  if (base_mean > 0) change.mean.estimate = next_mean / base_mean - 1;

  std::mt19937_64 random(seed);
  std::vector<double> median_ratios;
  std::vector<double> mean_ratios;
  median_ratios.reserve(static_cast<std::size_t>(resamples));
  mean_ratios.reserve(static_cast<std::size_t>(resamples));
  const auto resample = [&](std::span<const double> from, std::vector<double>& into) {
    std::uniform_int_distribution<std::size_t> pick(0, from.size() - 1);
    for (auto& value : into) value = from[pick(random)];
  };
  for (int r = 0; r < resamples; ++r) {
    resample(base, a);
    resample(next, b);
    const double a_mean = mean_of(a);
    const double b_mean = mean_of(b);
    const double a_median = median_of(a);
    const double b_median = median_of(b);
    if (a_median > 0) median_ratios.push_back(b_median / a_median);
    if (a_mean > 0) mean_ratios.push_back(b_mean / a_mean);
  }
  if (base_median > 0 && !median_ratios.empty()) interval(median_ratios, change.median);
  if (base_mean > 0 && !mean_ratios.empty()) interval(mean_ratios, change.mean);
  return change;
}

}  // namespace scalestudy::report
