// Poll-then-sleep waiting.
#include "core/backoff.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <thread>

namespace scalestudy::core {

void Backoff::pause() {
  const auto now = Clock::now();
  if (!idle_) {
    idle_ = true;
    idle_since_ = now;
    sleep_ = std::chrono::microseconds{1};
    return;
  }
  if (max_sleep_.count() <= 0 || now - idle_since_ < spin_) return;
  std::this_thread::sleep_for(sleep_);
  sleep_ = std::min(sleep_ * 2, max_sleep_);
}

void tighten_timer_slack() { prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

}  // namespace scalestudy::core
