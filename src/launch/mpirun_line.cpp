// Open MPI's mpirun line: -n, a hostfile with each node's slots, binding, -x exports, MPMD.
#include <sstream>

#include "launch/impl/launcher_argv.hpp"

namespace scalestudy::launch::detail {

void build_mpirun(const PointLaunch& plan, Launch& launch) {
  const auto& launcher = plan.study.launcher;
  const auto& host = plan.host;
  const bool real_nodes = launcher.real_nodes();
  auto& a = launch.argv;
  a.push_back(launcher.mpirun);
  a.insert(a.end(), {"-n", std::to_string(plan.program_ranks())});
  const bool oversubscribe =
      launcher.oversubscribe == "true" ||
      (launcher.oversubscribe == "auto" && !real_nodes && plan.point.world_size > host.cores);
  if (oversubscribe) a.push_back("--oversubscribe");
  if (real_nodes) {
    // Slots place exactly the planned split with --map-by slot.
    std::ostringstream hostfile;
    for (std::size_t n = 0; n < plan.ranks_on_node.size(); ++n) {
      hostfile << host.allocation.hosts[n] << " slots=" << plan.ranks_on_node[n] << '\n';
    }
    launch.files.push_back({plan.files.hostfile, hostfile.str()});
    a.insert(a.end(), {"--hostfile", plan.files.hostfile});
    const std::string map_by = !launcher.map_by.empty()         ? launcher.map_by
                               : !plan.placement.map_by.empty() ? plan.placement.map_by
                                                                : "slot";
    a.insert(a.end(), {"--map-by", map_by});
  } else if (!launcher.map_by.empty()) {
    a.insert(a.end(), {"--map-by", launcher.map_by});
  }
  if (!launcher.bind_to.empty()) a.insert(a.end(), {"--bind-to", launcher.bind_to});
  a.insert(a.end(), plan.placement.mpirun_args.begin(), plan.placement.mpirun_args.end());
  for (const auto& [name, value] : plan.exported) {
    launch.env.emplace_back(name, value);
    a.insert(a.end(), {"-x", name});  // export to every rank, also on remote nodes
  }
  a.insert(a.end(), launcher.args.begin(), launcher.args.end());
  launch.programs.push_back(a.size());
  a.insert(a.end(), {host.rank_program, "--point", plan.files.point_file});
  if (plan.python_consumers > 0) {
    // Exports are per app context: the consumers' repeats the first one's (launcher.args' too).
    std::vector<std::string> exported;
    for (std::size_t i = 1; i + 1 < a.size(); ++i) {
      if (a[i] == "-x") exported.push_back(a[i + 1]);
    }
    launch.env.emplace_back("PYTHONPATH", host.python_path);
    exported.emplace_back("PYTHONPATH");
    a.insert(a.end(), {":", "-n", std::to_string(plan.python_consumers)});
    for (const auto& name : exported) a.insert(a.end(), {"-x", name});
    launch.programs.push_back(a.size());
    a.insert(a.end(), {host.python, "-m", "scalestudy.consumer", "--point", plan.files.point_file});
  }
}

}  // namespace scalestudy::launch::detail
