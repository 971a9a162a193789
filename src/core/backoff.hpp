// Waiting without burning a core: poll for a short while (lowest latency), then sleep with
// exponential back-off. Database progress loops and clients waiting for replies use it, so a
// rank that waits leaves its core to the ranks and threads that have work.
#pragma once

#include <chrono>

namespace scalestudy::core {

/// How long a waiting rank polls, and the longest it then sleeps at a time.
struct WaitPolicy {
  std::chrono::microseconds spin{50};
  std::chrono::microseconds max_sleep{100};
};

class Backoff {
 public:
  explicit Backoff(const WaitPolicy& policy) : Backoff(policy.spin, policy.max_sleep) {}

  /// Polls for `spin`, then sleeps 1, 2, 4 ... microseconds, at most `max_sleep` at a time.
  /// A zero `max_sleep` never sleeps (pure polling).
  Backoff(std::chrono::microseconds spin, std::chrono::microseconds max_sleep)
      : spin_(spin), max_sleep_(max_sleep) {}

  /// Call after progress: the next idle round starts polling again.
  void reset() { idle_ = false; }

  /// One idle round: returns at once while polling, sleeps afterwards.
  void pause();

 private:
  using Clock = std::chrono::steady_clock;
  std::chrono::microseconds spin_;
  std::chrono::microseconds max_sleep_;
  bool idle_ = false;
  Clock::time_point idle_since_;
  std::chrono::microseconds sleep_{1};
};

/// Makes sleeps of this process as short as asked (Linux timer slack defaults to 50 us, which
/// would stretch every back-off sleep). Call once at start-up.
void tighten_timer_slack();

}  // namespace scalestudy::core
