// Summary statistics with numpy's definitions (linear-interpolated percentiles, ddof=1 std).
#include "report/statistics.hpp"

#include <algorithm>
#include <cmath>

namespace scalestudy::report {

double percentile_of_sorted(std::span<const double> sorted, double q) {
  const double position = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  // Interpolate from the nearer end, as numpy's _lerp does, so results agree to the last bit.
  const double a = sorted[below];
  const double b = sorted[above];
  return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
}

Summary summarize(std::vector<double> samples) {
  std::erase_if(samples, [](double x) { return std::isnan(x); });
  Summary s;
  s.n = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  double sum = 0;
  for (const double x : samples) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n > 1) {
    double squares = 0;
    for (const double x : samples) squares += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(squares / static_cast<double>(s.n - 1));
  }
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = percentile_of_sorted(samples, 50);
  s.p90 = percentile_of_sorted(samples, 90);
  s.p99 = percentile_of_sorted(samples, 99);
  return s;
}

}  // namespace scalestudy::report
