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

bool Interval::has_bounds() const { return std::isfinite(low) && std::isfinite(high); }

double t_quantile_975(std::size_t df) {
  // Exact to four decimals for small samples, where repetitions live; the Cornish-Fisher
  // expansion around the normal quantile beyond.
  static const double table[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df >= 1 && df <= std::size(table)) return table[df - 1];
  const double z = 1.959963984540054;
  const double n = static_cast<double>(df);
  return z + (z * z * z + z) / (4 * n) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

Interval mean_interval(std::span<const double> values) {
  const double nan = std::nan("");
  if (values.empty()) return {nan, nan, nan};
  double sum = 0;
  for (const double v : values) sum += v;
  const double n = static_cast<double>(values.size());
  const double mean = sum / n;
  if (values.size() < 2) return {mean, nan, nan};
  double squares = 0;
  for (const double v : values) squares += (v - mean) * (v - mean);
  const double half = t_quantile_975(values.size() - 1) * std::sqrt(squares / (n - 1) / n);
  return {mean, mean - half, mean + half};
}

}  // namespace scalestudy::report
