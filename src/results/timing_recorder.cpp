// Registration of timed operations.
#include "results/timing_recorder.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace scalestudy::results {

int TimingRecorder::add(const std::string& name, std::size_t samples, std::size_t warmup,
                        std::uint64_t bytes) {
  const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (!valid) {
    throw WorkloadError("operation name '" + name +
                        "' must be non-empty letters, digits, '_', '-' or '.'");
  }
  for (const auto& s : series_) {
    if (s.name == name) throw WorkloadError("operation '" + name + "' is registered twice");
  }
  Series s;
  s.name = name;
  s.seconds.assign(samples, std::numeric_limits<double>::quiet_NaN());
  s.warmup.assign(samples, 0);
  std::fill_n(s.warmup.begin(), std::min(warmup, samples), std::uint8_t{1});
  s.failed.assign(samples, 0);
  s.bytes = bytes;
  series_.push_back(std::move(s));
  return static_cast<int>(series_.size() - 1);
}

}  // namespace scalestudy::results
