// The U test against scipy's values, bootstrap intervals, and compare's verdicts.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "report/result_comparison.hpp"
#include "report/significance.hpp"
#include "report/statistics.hpp"

namespace scalestudy::report {
namespace {

TEST(MannWhitney, MatchesScipysAsymptoticPValue) {
  // scipy.stats.mannwhitneyu(a, b, method="asymptotic").pvalue
  EXPECT_NEAR(
      mann_whitney_p(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{3, 4, 5, 6, 7, 8}),
      0.066015431521231, 1e-12);
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < 50; ++i) a.push_back(0.1 * i);
  for (int i = 0; i < 40; ++i) b.push_back(0.1 * i + 0.7);
  EXPECT_NEAR(mann_whitney_p(a, b), 0.5397909746988921, 1e-12);
  EXPECT_EQ(mann_whitney_p(std::vector<double>{1, 1, 1}, std::vector<double>{1, 1, 1}), 1);
  EXPECT_EQ(mann_whitney_p(std::vector<double>{}, std::vector<double>{1}), 1);
}

std::vector<double> lognormal(std::size_t n, double scale, unsigned seed) {
  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> d(0, 0.2);
  std::vector<double> out(n);
  for (auto& v : out) v = scale * d(random);
  return out;
}

TEST(ChangeOfCentre, IntervalsCoverTheTrueChangeNineteenTimesInTwenty) {
  // Samples 30 % slower in distribution: the 95 % interval of the median's change should hold
  // 0.3 about 95 % of the time (deterministic seeds: the count is always the same).
  int covered = 0;
  const int trials = 30;
  for (int t = 0; t < trials; ++t) {
    const auto base = lognormal(300, 1e-5, 2 * t + 1);
    const auto slower = lognormal(300, 1.3e-5, 2 * t + 2);
    const ChangeOfCentre change = change_of_centre(base, slower, 500, t + 1);
    EXPECT_NEAR(change.median.estimate, 0.3, 0.1);
    EXPECT_LT(change.median.low, change.median.estimate);
    EXPECT_GT(change.median.high, change.median.estimate);
    covered += change.median.low < 0.3 && 0.3 < change.median.high;
  }
  EXPECT_GE(covered, 26) << "of " << trials;
  EXPECT_LT(covered, trials + 1);
}

TEST(ChangeOfCentre, TheSameSamplesGiveNoChangeAndANarrowInterval) {
  const auto base = lognormal(2000, 1e-5, 1);
  const ChangeOfCentre same = change_of_centre(base, base);
  EXPECT_EQ(same.median.estimate, 0);
  EXPECT_EQ(same.mean.estimate, 0);
  EXPECT_LT(same.median.low, 0);
  EXPECT_GT(same.median.high, 0);
  EXPECT_LT(same.median.high - same.median.low, 0.05);
  const ChangeOfCentre slower = change_of_centre(base, lognormal(2000, 1.3e-5, 2));
  EXPECT_GT(slower.median.low, 0.2);  // 2000 samples pin a 30 % change down
  EXPECT_TRUE(std::isnan(change_of_centre({}, base).median.estimate));
}

TEST(CompareVerdict, SignificanceAndThresholdDecide) {
  const CompareOptions options;  // 5 %, alpha 5 %
  const auto change = [](double estimate, double low, double high) {
    return ChangeOfCentre{{estimate, low, high}, {estimate, low, high}};
  };
  EXPECT_EQ(verdict_of(change(0.30, 0.25, 0.35), 1e-9, options), "regressed");
  EXPECT_EQ(verdict_of(change(-0.30, -0.35, -0.25), 1e-9, options), "improved");
  EXPECT_EQ(verdict_of(change(0.02, 0.01, 0.03), 1e-9, options), "unchanged");  // too small
  EXPECT_EQ(verdict_of(change(0.0, -0.03, 0.03), 0.9, options), "unchanged");
  EXPECT_EQ(verdict_of(change(0.0, -0.20, 0.25), 0.9, options), "noisy");
  EXPECT_EQ(verdict_of(change(0.30, -0.10, 0.70), 0.2, options), "noisy");  // not significant
  // Significant by the U test, but the p50's interval does not exclude no change.
  EXPECT_EQ(verdict_of(change(0.30, -0.20, 1.07), 1e-4, options), "noisy");
  EXPECT_EQ(verdict_of(change(-0.30, -0.60, 0.02), 1e-4, options), "noisy");
}

TEST(MeanInterval, IsStudentsTInterval) {
  // mean -+ t(0.975, 2) x scipy.stats.sem for 1, 2, 4.
  const Interval i = mean_interval(std::vector<double>{1, 2, 4});
  EXPECT_NEAR(i.estimate, 7.0 / 3, 1e-12);
  EXPECT_NEAR(i.low, -1.4612497002634282, 1e-12);
  EXPECT_NEAR(i.high, 6.127916366930095, 1e-12);
  EXPECT_FALSE(mean_interval(std::vector<double>{5}).has_bounds());
  EXPECT_EQ(mean_interval(std::vector<double>{5}).estimate, 5);
  // The roots of 0.5 I_{df/(df+t^2)}(df/2, 1/2) = 0.025 by scipy.special.betainc and brentq:
  // exact where scipy.stats.t.ppf is within 1e-8 (its tail at its own 2.02107538299533740
  // for df 40 is 0.025 + 4e-10).
  EXPECT_NEAR(t_quantile_975(1), 12.706204736174707, 1e-12);
  EXPECT_NEAR(t_quantile_975(2), 4.3026527297494646, 1e-13);
  EXPECT_NEAR(t_quantile_975(40), 2.0210753903062697, 1e-13);
  EXPECT_NEAR(t_quantile_975(100), 1.983971518523564, 1e-13);
  EXPECT_NEAR(t_quantile_975(100000), 1.9599877075483951, 1e-10);  // lgamma cancellation
}

}  // namespace
}  // namespace scalestudy::report
