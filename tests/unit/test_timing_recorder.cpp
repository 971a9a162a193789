// Timed-operation registration and sample storage.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "results/timing_recorder.hpp"

namespace scalestudy::results {
namespace {

TEST(TimingRecorder, RegistersSeriesWithWarmupMask) {
  TimingRecorder recorder;
  const int put = recorder.add("put_tensor", 5, 2, 4096);
  const int init = recorder.add("client_init", 1);
  recorder.record(put, 3, 1.5e-6);
  recorder.fail(put, 4);
  recorder.record(init, 0, 0.25);
  const auto& s = recorder.series()[static_cast<std::size_t>(put)];
  EXPECT_EQ(s.name, "put_tensor");
  EXPECT_EQ(s.bytes, 4096U);
  EXPECT_EQ(s.warmup, (std::vector<std::uint8_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(s.failed, (std::vector<std::uint8_t>{0, 0, 0, 0, 1}));
  EXPECT_TRUE(std::isnan(s.seconds[0]));  // never recorded
  EXPECT_EQ(s.seconds[3], 1.5e-6);
  EXPECT_EQ(recorder.series()[1].seconds[0], 0.25);
}

TEST(TimingRecorder, RefusesDuplicateAndInvalidNames) {
  TimingRecorder recorder;
  recorder.add("put_tensor", 1);
  EXPECT_THROW(recorder.add("put_tensor", 1), WorkloadError);
  EXPECT_THROW(recorder.add("", 1), WorkloadError);
  EXPECT_THROW(recorder.add("a/b", 1), WorkloadError);
  EXPECT_THROW(recorder.add("client()", 1), WorkloadError);
}

TEST(TimingRecorder, WarmupLongerThanSamplesFlagsAll) {
  TimingRecorder recorder;
  recorder.add("x", 2, 5);
  EXPECT_EQ(recorder.series()[0].warmup, (std::vector<std::uint8_t>{1, 1}));
}

}  // namespace
}  // namespace scalestudy::results
