// Finding the nodes a study may use, and whether a point fits on them.
#include "launch/allocation.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/layout.hpp"
#include "launch/launch_line.hpp"

namespace scalestudy::launch {
namespace {

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

/// Hosts of a text in hostfile form.
std::vector<std::string> hosts_of(const std::string& text) {
  std::vector<std::string> hosts;
  std::set<std::string> seen;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string host;
    if (words >> host && seen.insert(host).second) hosts.push_back(host);
  }
  return hosts;
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw ConfigError(what + ": cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Hosts of Slurm's compressed node list (n[1-4]) through scontrol.
std::vector<std::string> slurm_hosts(const std::string& nodelist) {
  const std::string command = "scontrol show hostnames " + shell_quote(nodelist) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw ConfigError("cannot run '" + command + "'");
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) text += buffer;
  if (pclose(pipe) != 0) {
    throw ConfigError("'scontrol show hostnames " + nodelist + "' failed: " + text +
                      "(is scontrol, from Slurm's client commands, on PATH in the job?)");
  }
  return hosts_of(text);
}

int batch_cpus_per_node() {
  for (const char* name : {"SLURM_CPUS_ON_NODE", "NCPUS"}) {
    if (const char* value = environment(name); value != nullptr && std::atoi(value) > 0) {
      return std::atoi(value);
    }
  }
  return 0;
}

Allocation planned(int nodes, const std::string& source) {
  Allocation allocation;
  allocation.kind = Allocation::Kind::Planned;
  allocation.source = source;
  for (int n = 1; n <= nodes; ++n) allocation.hosts.push_back("node" + std::to_string(n));
  return allocation;
}

}  // namespace

std::string Allocation::describe() const {
  const std::string count = std::to_string(nodes()) + (nodes() == 1 ? " node" : " nodes");
  switch (kind) {
    case Kind::ThisMachine:
      return "this machine";
    case Kind::Hostfile:
      return "hostfile '" + source + "' (" + count + ")";
    case Kind::Slurm:
      return "the Slurm allocation (job " + job_id + ", " + count + ")";
    case Kind::Pbs:
      return "the PBS allocation (job " + job_id + ", " + count + ")";
    case Kind::Planned:
      return "the allocation planned for (" + count + ", " + source + ")";
  }
  return count;
}

std::vector<std::string> read_hosts(const std::string& hostfile) {
  const auto hosts = hosts_of(read_text(hostfile, "launcher.hostfile"));
  if (hosts.empty()) throw ConfigError("launcher.hostfile '" + hostfile + "' names no host");
  return hosts;
}

Allocation find_allocation(const study::LauncherSpec& launcher, int planned_nodes) {
  Allocation allocation;
  if (launcher.hostfile.empty()) return allocation;
  if (planned_nodes > 0) {
    allocation = planned(planned_nodes, "--nodes " + std::to_string(planned_nodes));
  } else if (launcher.hostfile != "allocation") {
    allocation.kind = Allocation::Kind::Hostfile;
    allocation.source = launcher.hostfile;
    try {
      allocation.hosts = read_hosts(launcher.hostfile);
    } catch (const ConfigError& error) {
      throw ConfigError(launcher.hostfile_origin + ": " + error.what());
    }
  } else if (const char* nodelist = environment("SLURM_JOB_NODELIST")) {
    allocation.kind = Allocation::Kind::Slurm;
    const char* id = environment("SLURM_JOB_ID");
    allocation.job_id = id != nullptr ? id : "";
    allocation.source = nodelist;
    allocation.hosts = slurm_hosts(nodelist);
  } else if (const char* nodefile = environment("PBS_NODEFILE")) {
    allocation.kind = Allocation::Kind::Pbs;
    const char* id = environment("PBS_JOBID");
    allocation.job_id = id != nullptr ? id : "";
    allocation.source = nodefile;
    allocation.hosts = hosts_of(read_text(nodefile, "PBS_NODEFILE"));
  } else if (launcher.nodes > 0) {
    allocation = planned(launcher.nodes, "launcher.nodes: " + std::to_string(launcher.nodes));
  } else {
    throw ConfigError(
        (launcher.hostfile_origin.empty() ? std::string("launcher") : launcher.hostfile_origin) +
        ": the points run on the nodes of a batch allocation, but this is not one "
        "(SLURM_JOB_NODELIST and PBS_NODEFILE are not set): plan for one with --nodes N (or "
        "launcher.nodes: N), write job scripts with 'scalestudy jobs', or run inside "
        "salloc/sbatch/qsub");
  }
  if (allocation.hosts.empty()) {
    throw ConfigError(allocation.describe() + " names no node");
  }
  allocation.cpus_per_node =
      launcher.cpus_per_node > 0 ? launcher.cpus_per_node : batch_cpus_per_node();
  return allocation;
}

std::vector<int> ranks_on_nodes(const study::Study& study, const study::StudyPoint& point) {
  if (!study.launcher.real_nodes()) return {point.world_size};
  const core::LayoutRequest r = core::layout_request(point.params);
  const bool colocated = r.deployment == core::Deployment::Colocated;
  std::vector<int> ranks(static_cast<std::size_t>(r.client_nodes),
                         r.ranks_per_node + (colocated ? r.db_ranks_per_node : 0));
  if (!colocated)
    ranks.insert(ranks.end(), static_cast<std::size_t>(r.db_nodes), r.db_ranks_per_node);
  if (r.consumers > 0) ranks.push_back(r.consumers);
  return ranks;
}

int nodes_needed(const study::Study& study, const study::StudyPoint& point) {
  return static_cast<int>(ranks_on_nodes(study, point).size());
}

std::string does_not_fit(const study::Study& study, const study::StudyPoint& point,
                         const Allocation& allocation) {
  if (allocation.kind == Allocation::Kind::ThisMachine) return "";
  const int needed = nodes_needed(study, point);
  if (needed <= allocation.nodes()) return "";
  const char* what =
      allocation.kind == Allocation::Kind::Hostfile ? "the hostfile" : "the allocation";
  return "needs " + std::to_string(needed) + " nodes, " + what + " has " +
         std::to_string(allocation.nodes());
}

}  // namespace scalestudy::launch
