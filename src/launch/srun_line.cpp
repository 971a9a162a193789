// Slurm's srun line, from the same placement as mpirun's but in srun's own options.
#include <algorithm>
#include <sstream>

#include "launch/impl/launcher_argv.hpp"

namespace scalestudy::launch::detail {
namespace {

bool has_option(const std::vector<std::string>& args, const std::string& option) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& arg) {
    return arg == option || arg.rfind(option + "=", 0) == 0;
  });
}

}  // namespace

void build_srun(const PointLaunch& plan, Launch& launch) {
  const auto& launcher = plan.study.launcher;
  const auto& host = plan.host;
  const auto& nodes = plan.ranks_on_node;
  auto& a = launch.argv;
  a = {"srun", "--nodes=" + std::to_string(nodes.size()),
       "--ntasks=" + std::to_string(plan.point.world_size)};
  if (std::all_of(nodes.begin(), nodes.end(), [&](int n) { return n == nodes.front(); })) {
    a.push_back("--ntasks-per-node=" + std::to_string(nodes.front()));
  } else {
    // Nodes hold different numbers of ranks (clients, database, consumer nodes): one line per
    // rank in rank order, which is what Slurm's arbitrary distribution reads.
    std::ostringstream tasks;
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      for (int r = 0; r < nodes[n]; ++r) tasks << host.allocation.hosts[n] << '\n';
    }
    launch.files.push_back({plan.files.hostfile, tasks.str()});
    launch.env.emplace_back("SLURM_HOSTFILE", plan.files.hostfile);
    a.push_back("--distribution=arbitrary");
  }
  a.push_back("--cpus-per-task=" + std::to_string(plan.placement.cpus_per_rank));
  const bool overcommit = plan.placement.oversubscribed || launcher.oversubscribe == "true";
  if (!has_option(launcher.args, "--cpu-bind")) {
    a.push_back(plan.placement.oversubscribed ? "--cpu-bind=none" : "--cpu-bind=cores");
  }
  if (overcommit) a.push_back("--overcommit");
  if (!launcher.mpi.empty()) a.push_back("--mpi=" + launcher.mpi);
  // The whole environment (a job's --export=NONE would otherwise keep ours from the ranks), and
  // one failed rank ends the step as it ends an mpirun job.
  a.insert(a.end(), {"--export=ALL", "--kill-on-bad-exit=1"});
  launch.env.insert(launch.env.end(), plan.exported.begin(), plan.exported.end());
  a.insert(a.end(), launcher.args.begin(), launcher.args.end());
  if (plan.python_consumers == 0) {
    a.insert(a.end(), {host.rank_program, "--point", plan.files.point_file});
    return;
  }
  // Python consumers are the last ranks: a second program, by rank range.
  const int first = plan.program_ranks();
  std::ostringstream programs;
  programs << "0-" << first - 1 << ' ' << shell_quote(host.rank_program) << " --point "
           << shell_quote(plan.files.point_file) << '\n'
           << first << '-' << plan.point.world_size - 1 << ' ' << shell_quote(host.python)
           << " -m scalestudy.consumer --point " << shell_quote(plan.files.point_file) << '\n';
  launch.files.push_back({plan.files.multi_prog, programs.str()});
  launch.env.emplace_back("PYTHONPATH", host.python_path);
  a.insert(a.end(), {"--multi-prog", plan.files.multi_prog});
}

}  // namespace scalestudy::launch::detail
