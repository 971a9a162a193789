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

namespace {

/// The continued fraction of the regularized incomplete beta function (modified Lentz).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1;
  double d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    for (const double term : {m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                              -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))}) {
      d = 1 + term * d;
      d = 1 / (std::fabs(d) < tiny ? tiny : d);
      c = 1 + term / c;
      if (std::fabs(c) < tiny) c = tiny;
      h *= d * c;
      if (term < 0 && std::fabs(d * c - 1) < 1e-16) return h;
    }
  }
  return h;
}

/// The regularized incomplete beta function I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

/// P(T > t) for Student's t with `df` degrees of freedom, t >= 0.
double t_upper_tail(double t, double df) {
  return 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

}  // namespace

double t_quantile_975(std::size_t df) {
  // Bisection on the upper tail, to double precision.
  const double n = static_cast<double>(df);
  double low = 1.959963984540054;  // the normal quantile: t's is never smaller
  double high = 13;
  while (t_upper_tail(high, n) > 0.025) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-15 * high; ++i) {
    const double middle = 0.5 * (low + high);
    (t_upper_tail(middle, n) > 0.025 ? low : high) = middle;
  }
  return 0.5 * (low + high);
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
