// A rank's threads: how many it runs, the CPUs each one runs on, and whether the point's threads
// oversubscribe a host.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "results/point_writer.hpp"

namespace scalestudy::workloads {

/// Sets the threads of this rank's later OpenMP parallel regions (omp_set_num_threads, which
/// overrides OMP_NUM_THREADS) and returns omp_get_max_threads(). Throws WorkloadError for
/// threads < 1.
int apply_omp_threads(int threads);

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

/// Collective over `comm` (every rank of the job): the root attributes that record threads and
/// placement: oversubscribed (bool: some host runs more threads than it has CPUs),
/// threads_per_host and cpus_per_host (of the most loaded host), placement (what the launcher
/// decided: SCALESTUDY_PLACEMENT), launched_by ("scalestudy run" or "hand"), omp_num_threads,
/// omp_places, omp_proc_bind and omp_wait_policy (the environment the job was started with, ""
/// when unset) and launch_time (SCALESTUDY_LAUNCH_TIME, "" when unset), identical on every rank.
/// `host_of_rank` is every rank's host name and `my_threads` this rank's threads. Sets `warning`
/// (else "") to what rank 0 should print about an oversubscribed point. Throws MpiError.
std::vector<results::Attribute> placement_attributes(MPI_Comm comm,
                                                     const std::vector<std::string>& host_of_rank,
                                                     int my_threads, std::string& warning);

}  // namespace scalestudy::workloads
