// Summary statistics agree with numpy (values below were printed by numpy 1.24).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "report/statistics.hpp"

namespace scalestudy::report {
namespace {

TEST(Statistics, MatchNumpyOnTimingSamples) {
  const std::vector<double> x = {3.2e-6, 1.1e-6, 9.7e-6, 2.5e-6, 2.5e-6, 4.0e-5,
                                 1.3e-6, 7.7e-6, 5.1e-6, 3.3e-6, 6.6e-6};
  const Summary s = summarize(x);
  EXPECT_EQ(s.n, 11U);
  // numpy: x.mean(), x.std(ddof=1), np.percentile(x, [50, 90, 99]), x.min(), x.max()
  EXPECT_DOUBLE_EQ(s.mean, 7.545454545454546e-06);
  EXPECT_DOUBLE_EQ(s.std, 1.1104986594891833e-05);
  EXPECT_DOUBLE_EQ(s.p50, 3.3e-06);
  EXPECT_DOUBLE_EQ(s.p90, 9.7e-06);
  EXPECT_DOUBLE_EQ(s.p99, 3.6970000000000014e-05);
  EXPECT_DOUBLE_EQ(s.min, 1.1e-06);
  EXPECT_DOUBLE_EQ(s.max, 4.0e-05);
}

TEST(Statistics, PercentilesInterpolateLinearly) {
  const std::vector<double> sorted = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 0), 10);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 50), 25);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 90), 37);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 100), 40);
}

TEST(Statistics, SkipNanAndHandleTinyInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Summary one = summarize({nan, 5.0, nan});
  EXPECT_EQ(one.n, 1U);
  EXPECT_EQ(one.std, 0.0);
  EXPECT_EQ(one.p99, 5.0);
  const Summary none = summarize({nan});
  EXPECT_EQ(none.n, 0U);
  EXPECT_EQ(none.mean, 0.0);
}

}  // namespace
}  // namespace scalestudy::report
