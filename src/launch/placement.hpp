// Where a point's ranks and threads go: binding, OpenMP environment, and oversubscription.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "study/study.hpp"

namespace scalestudy::launch {

/// What the launcher does about threads and CPUs for one point (policy in docs/studies.md).
struct Placement {
  int threads_per_node = 0;  ///< threads the most loaded node runs (all ranks of a virtual study)
  int cpus_per_node = 0;     ///< CPUs of a node: this machine's (assumed alike for real nodes)
  bool oversubscribed = false;           ///< threads_per_node > cpus_per_node
  bool user_binding = false;             ///< launcher.map_by or launcher.bind_to set by the study
  int cpus_per_rank = 1;                 ///< CPUs the busiest rank needs (its threads)
  std::vector<std::string> mpirun_args;  ///< binding options, e.g. --map-by slot:PE=2
  /// --map-by for real nodes (with their hostfile), "" to leave it to launcher.map_by or slot.
  std::string map_by;
  std::string rankfile_text;  ///< one line per rank when ranks need different CPU counts
  /// OMP_NUM_THREADS, OMP_PLACES, OMP_PROC_BIND, OMP_WAIT_POLICY and SCALESTUDY_PLACEMENT
  /// (this summary), each unless launcher.env sets it.
  std::vector<std::pair<std::string, std::string>> env;
  std::string summary;  ///< one line: what was decided and why
};

/// Threads of one rank of `point`: client_threads for clients, db_threads for database ranks.
/// The most loaded node of `point` runs `threads_per_node(point, virtual_nodes)` of them:
/// virtual nodes share this machine, so there it is every rank's.
int threads_per_node(const study::StudyPoint& point, bool virtual_nodes);

/// The placement of `point` on nodes of `cpus_per_node` CPUs. Virtual nodes (no hostfile): the
/// whole job shares this machine; it is bound to hardware threads when every thread gets its own
/// CPU, with a rankfile when clients and database ranks need different counts, and left unbound
/// (--bind-to none, OMP_WAIT_POLICY=passive) when oversubscribed. Real nodes: --map-by
/// slot:PE=<threads> --bind-to core, unless oversubscribed. The study's launcher.map_by and
/// bind_to replace the binding. `host_name` names this machine in a rankfile.
Placement plan_placement(const study::Study& study, const study::StudyPoint& point,
                         int cpus_per_node, const std::string& host_name,
                         const std::string& rankfile_path);

}  // namespace scalestudy::launch
