// The nodes a study's points may use: this machine, a hostfile, the batch job scalestudy runs
// in, or an allocation planned for from a login node.
#pragma once

#include <string>
#include <vector>

#include "study/study.hpp"

namespace scalestudy::launch {

struct Allocation {
  enum class Kind {
    ThisMachine,  ///< no hostfile: every point on this machine, in virtual nodes
    Hostfile,     ///< launcher.hostfile names a file
    Slurm,        ///< inside a Slurm job (SLURM_JOB_ID, SLURM_JOB_NODELIST)
    Pbs,          ///< inside a PBS job (PBS_JOBID, PBS_NODEFILE)
    Planned,      ///< planned for: plan/jobs --nodes N or launcher.nodes, outside a job
  };
  Kind kind = Kind::ThisMachine;
  std::string job_id;              ///< the batch job's id (Slurm, Pbs), else ""
  std::vector<std::string> hosts;  ///< its nodes in order (empty for this machine)
  int cpus_per_node = 0;           ///< CPUs of each node; 0: as this machine
  std::string source;              ///< the hostfile, or the flag or key that planned it

  int nodes() const { return static_cast<int>(hosts.size()); }
  /// "the Slurm allocation (job 12, 2 nodes)", "hostfile 'h.txt' (4 nodes)", ...
  std::string describe() const;
};

/// The allocation `launcher` asks for. `planned_nodes` > 0 (plan or jobs --nodes) plans for that
/// many nodes instead of looking for a batch job; otherwise launcher.hostfile decides: "" this
/// machine, a path its hosts, "allocation" the batch job scalestudy runs in, else
/// launcher.nodes when set. CPUs per node: launcher.cpus_per_node, else the batch job's
/// (SLURM_CPUS_ON_NODE, NCPUS), else this machine's. Throws ConfigError when hostfile is
/// "allocation" outside a batch job and no node count is given, or a hostfile cannot be read.
Allocation find_allocation(const study::LauncherSpec& launcher, int planned_nodes);

/// Nodes named by a hostfile ("host" or "host slots=N" lines, '#' comments; repeated hosts
/// once, as PBS_NODEFILE lists a host once per core). Throws ConfigError.
std::vector<std::string> read_hosts(const std::string& hostfile);

/// Ranks on each node a point occupies, in node order: with real nodes, its client nodes (with
/// their database ranks when colocated), then (standard) its database nodes, then the consumer
/// node; with virtual nodes, the one machine that holds them all. scalestudy-rank finds the
/// same split.
std::vector<int> ranks_on_nodes(const study::Study& study, const study::StudyPoint& point);

/// Nodes a point occupies (ranks_on_nodes(...).size()).
int nodes_needed(const study::Study& study, const study::StudyPoint& point);

/// Why `point` cannot run in `allocation` ("" when it fits), e.g. "needs 3 nodes, the
/// allocation has 2".
std::string does_not_fit(const study::Study& study, const study::StudyPoint& point,
                         const Allocation& allocation);

}  // namespace scalestudy::launch
