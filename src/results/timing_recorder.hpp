// Per-rank timing samples: one preallocated series per operation, filled without allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace scalestudy::results {

class TimingRecorder {
 public:
  struct Series {
    std::string name;
    std::vector<double> seconds;       ///< NaN until recorded
    std::vector<std::uint8_t> warmup;  ///< 1 for warm-up samples
    std::vector<std::uint8_t> failed;  ///< 1 for failed operations (e.g. verify mismatch)
    std::uint64_t bytes = 0;           ///< payload bytes one operation moves (0: not a transfer)
  };

  /// Registers operation `name` with `samples` slots, the first `warmup` of them flagged as
  /// warm-up, each moving `bytes` payload bytes, and returns its id. Call before the timed
  /// loop. Throws WorkloadError if the name is taken or not a valid dataset name.
  int add(const std::string& name, std::size_t samples, std::size_t warmup = 0,
          std::uint64_t bytes = 0);

  /// Records one sample (no allocation, no checks beyond a debug assert).
  void record(int op, std::size_t sample, double seconds) {
    series_[static_cast<std::size_t>(op)].seconds[sample] = seconds;
  }

  /// Flags one sample as a failed operation.
  void fail(int op, std::size_t sample) {
    series_[static_cast<std::size_t>(op)].failed[sample] = 1;
  }

  const std::vector<Series>& series() const { return series_; }

 private:
  std::vector<Series> series_;
};

}  // namespace scalestudy::results
