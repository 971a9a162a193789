// CPUs, threads and start-up time: what a node offers a job, what a point asks of it, and when.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace scalestudy::core {

/// CPUs (hardware threads) a job may use on this node: the online CPUs, narrowed to the cgroup's
/// cpuset when the node sets one. At least 1. Unlike cpu_affinity(), binding does not narrow it.
int node_cpus();

/// The CPU the calling thread runs on right now (sched_getcpu), or -1 when unknown.
int current_cpu();

/// A compact list of CPU ids such as "0-3,8" ("" for none).
std::string cpu_list(const std::set<int>& cpus);

/// Seconds since the Unix epoch, from the system clock (comparable across processes and, with
/// synchronised clocks, across nodes).
double epoch_seconds();

/// When this process started, in seconds since the Unix epoch (from /proc), or NaN if unknown.
double process_start_epoch();

/// Where a rank's start-up time is counted from.
struct LaunchTime {
  double epoch = 0;    ///< seconds since the Unix epoch
  std::string origin;  ///< "launcher" (SCALESTUDY_LAUNCH_TIME) or "process_start"
};

/// SCALESTUDY_LAUNCH_TIME (seconds since the epoch, set by `scalestudy run` just before it starts
/// the launcher) when it is set and valid, else this process's start (process_start_epoch).
LaunchTime launch_time();

/// Threads a point runs on one host, against that host's CPUs.
struct HostLoad {
  std::string host;
  int ranks = 0;
  int threads = 0;  ///< sum over the host's ranks of their threads
  int cpus = 0;     ///< node_cpus() of the host (the largest any of its ranks saw)

  /// More threads than CPUs: they cannot all run at once.
  bool oversubscribed() const { return threads > cpus; }
};

/// The load of every host, in order of first appearance, from one entry per rank: its host
/// name, its threads and the CPUs its node offers. Throws ConfigError if the lists differ in
/// length.
std::vector<HostLoad> host_loads(const std::vector<std::string>& host_of_rank,
                                 const std::vector<int>& threads_of_rank,
                                 const std::vector<int>& cpus_of_rank);

/// The most loaded host (largest threads - cpus, then largest threads); an empty HostLoad for
/// no hosts.
HostLoad busiest_host(const std::vector<HostLoad>& loads);

}  // namespace scalestudy::core
