// What mpirun and srun lines share, decided once per point, and the builder of each.
#pragma once

#include <string>
#include <vector>

#include "launch/launch_line.hpp"
#include "launch/placement.hpp"

namespace scalestudy::launch::detail {

/// One point's launch, launcher aside.
struct PointLaunch {
  const study::Study& study;
  const study::StudyPoint& point;
  const PointFiles& files;
  const LaunchHost& host;
  Placement placement;
  /// Ranks on each node in node order (real nodes): clients fill the first nodes, database
  /// nodes follow, then the consumer node; scalestudy-rank finds the same split.
  std::vector<int> ranks_on_node;
  int python_consumers = 0;  ///< last ranks run `python3 -m scalestudy.consumer` (0: none)
  Environment exported;      ///< placement's variables, then launcher.env, for every rank

  int program_ranks() const { return point.world_size - python_consumers; }
};

/// mpirun (Open MPI): -n, hostfile with slots, --map-by, binding, -x exports, MPMD contexts.
void build_mpirun(const PointLaunch& plan, Launch& launch);

/// srun (inside a Slurm allocation): --nodes, --ntasks, --ntasks-per-node or an arbitrary
/// distribution (SLURM_HOSTFILE), --cpus-per-task, --cpu-bind, --mpi, --multi-prog.
void build_srun(const PointLaunch& plan, Launch& launch);

}  // namespace scalestudy::launch::detail
