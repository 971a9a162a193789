// The CPUs a rank's threads were seen running on, sampled during a loop.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "results/record_table.hpp"

namespace scalestudy::workloads {

/// The CPUs a rank's threads were seen on. Sampling is cheap (one sched_getcpu per thread) but
/// not free: call it every few steps, not every operation. Not thread-safe: call it from the
/// rank's main thread.
class ThreadCpus {
 public:
  /// Records the CPU the calling thread runs on now.
  void sample_this_thread();

  /// Runs one OpenMP parallel region of `threads` threads (the team the OpenMP kernels use, so
  /// the same pool with the same binding) and records each thread's CPU.
  void sample_team(int threads);

  /// Every CPU seen, e.g. "0-1" ("" before any sample).
  std::string used() const;

  /// Whether sample_team ran at least once.
  bool sampled_team() const { return !team_.empty(); }

  /// The per-thread record (/tables/thread_cpus): one row per OpenMP thread, with `thread`
  /// (its number in the team), `cpus` (every CPU it was seen on) and `samples`.
  results::RecordTable table() const;

 private:
  std::set<int> all_;
  std::vector<std::set<int>> team_;
  std::vector<std::int64_t> samples_;
};

}  // namespace scalestudy::workloads
