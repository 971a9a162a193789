// Launch lines for Open MPI's mpirun, per-point hostfiles for real nodes.
#include "launch/launch_line.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/mpi_runtime.hpp"
#include "launch/placement.hpp"

namespace scalestudy::launch {

PointFiles point_files(const study::Study& study, const study::StudyPoint& point) {
  PointFiles files;
  files.directory = study.study_dir() + "/points/" + point.id;
  files.point_file = files.directory + "/point.yaml";
  files.results_file = files.directory + "/point.h5";
  files.log_file = files.directory + "/log.txt";
  files.hostfile = files.directory + "/hostfile";
  files.rankfile = files.directory + "/rankfile";
  return files;
}

int nodes_needed(const study::StudyPoint& point) {
  const auto& p = point.params;
  const auto clients = static_cast<int>(p.integer("client_nodes"));
  if (p.text("deployment") == "colocated") return clients;
  return clients + static_cast<int>(p.integer("db_nodes")) + (p.integer("consumers") > 0 ? 1 : 0);
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
                                              "YZ0123456789_-+=./:,@%") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void stamp_launch_time(Launch& launch, double epoch) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6f", epoch);
  launch.env.emplace_back("SCALESTUDY_LAUNCH_TIME", text);
  // Before the program of every app context (-x is per context), else before the last three
  // words (the program and its own arguments).
  if (launch.programs.empty()) {
    const auto program = launch.argv.end() - std::min<std::ptrdiff_t>(3, std::ssize(launch.argv));
    launch.argv.insert(program, {"-x", "SCALESTUDY_LAUNCH_TIME"});
    return;
  }
  for (std::size_t c = launch.programs.size(); c-- > 0;) {
    const auto at = launch.argv.begin() + static_cast<std::ptrdiff_t>(launch.programs[c]);
    launch.argv.insert(at, {"-x", "SCALESTUDY_LAUNCH_TIME"});
    for (std::size_t later = c; later < launch.programs.size(); ++later) {
      launch.programs[later] += 2;
    }
  }
}

std::string shell_line(const Launch& launch) {
  std::string line;
  for (const auto& [name, value] : launch.env) line += name + "=" + shell_quote(value) + " ";
  for (std::size_t i = 0; i < launch.argv.size(); ++i) {
    if (i > 0) line += ' ';
    line += shell_quote(launch.argv[i]);
  }
  return line;
}

std::vector<std::string> read_hosts(const std::string& hostfile) {
  std::vector<std::string> hosts;
  std::string text;
  std::string source = hostfile;
  if (hostfile == "allocation") {
    if (const char* nodefile = std::getenv("PBS_NODEFILE")) {
      source = nodefile;
    } else if (const char* nodelist = std::getenv("SLURM_JOB_NODELIST")) {
      const std::string command = "scontrol show hostnames " + shell_quote(nodelist);
      FILE* pipe = popen(command.c_str(), "r");
      if (pipe == nullptr) throw ConfigError("cannot run '" + command + "'");
      char buffer[4096];
      while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) text += buffer;
      if (pclose(pipe) != 0) {
        throw ConfigError("'" + command + "' failed; is this a Slurm allocation?");
      }
      source.clear();
    } else {
      throw ConfigError(
          "launcher.hostfile: allocation needs a batch job (PBS_NODEFILE or "
          "SLURM_JOB_NODELIST is not set); run inside salloc/qsub, or give a "
          "hostfile path");
    }
  }
  if (!source.empty()) {
    std::ifstream in(source);
    if (!in) throw ConfigError("launcher.hostfile: cannot read '" + source + "'");
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  std::set<std::string> seen;  // PBS_NODEFILE repeats a host once per core
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string host;
    if (words >> host && seen.insert(host).second) hosts.push_back(host);
  }
  if (hosts.empty()) throw ConfigError("launcher.hostfile '" + hostfile + "' names no host");
  return hosts;
}

Launch build_launch(const study::Study& study, const study::StudyPoint& point,
                    const PointFiles& files, const LaunchHost& host) {
  const auto& p = point.params;
  const auto& launcher = study.launcher;
  Launch launch;
  const bool real_nodes = !launcher.hostfile.empty();
  const int cpus = real_nodes && host.node_cpus > 0 ? host.node_cpus : host.cores;
  const Placement placement = plan_placement(study, point, cpus, core::hostname(), files.rankfile);
  launch.placement = placement.summary;
  launch.oversubscribed = placement.oversubscribed;
  launch.rankfile_text = placement.rankfile_text;
  if (host.root) {
    launch.env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT", "1");
    launch.env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
  }
  auto& a = launch.argv;
  a.push_back(launcher.mpirun);
  // Python consumers are the last ranks, a second app context (MPMD) after scalestudy-rank's.
  const auto consumers = p.integer("consumers");
  const bool python_consumers = consumers > 0 && p.text("consumer_language") == "python";
  if (python_consumers && !std::filesystem::exists(host.python_path + "/scalestudy/consumer.py")) {
    throw ConfigError(
        "consumer_language: python needs the scalestudy Python package beside scalestudy-rank "
        "(build/python), built when pybind11 is found: install pybind11-dev and python3-mpi4py "
        "(scripts/setup does) and rebuild");
  }
  a.insert(a.end(), {"-n", std::to_string(point.world_size - (python_consumers ? consumers : 0))});
  const bool oversubscribe =
      launcher.oversubscribe == "true" ||
      (launcher.oversubscribe == "auto" && !real_nodes && point.world_size > host.cores);
  if (oversubscribe) a.push_back("--oversubscribe");
  if (real_nodes) {
    const int needed = nodes_needed(point);
    if (needed > static_cast<int>(host.hosts.size())) {
      throw ConfigError("it needs " + std::to_string(needed) + " nodes but launcher.hostfile '" +
                        launcher.hostfile + "' has " + std::to_string(host.hosts.size()) +
                        "; allocate more nodes or exclude the larger points");
    }
    // Clients fill the first nodes, database nodes follow: slots place exactly that with
    // --map-by slot, and scalestudy-rank finds the same split from the real nodes.
    const auto clients = p.integer("ranks_per_node");
    const auto db_ranks = p.integer("db_ranks_per_node");
    const bool colocated = p.text("deployment") == "colocated";
    const auto client_nodes = p.integer("client_nodes");
    std::ostringstream hostfile;
    for (int n = 0; n < needed; ++n) {
      auto slots = consumers;  // the consumer node, after the database nodes
      if (n < client_nodes) {
        slots = clients + (colocated ? db_ranks : 0);
      } else if (colocated || n < client_nodes + p.integer("db_nodes")) {
        slots = db_ranks;
      }
      hostfile << host.hosts[static_cast<std::size_t>(n)] << " slots=" << slots << '\n';
    }
    launch.hostfile_text = hostfile.str();
    a.insert(a.end(), {"--hostfile", files.hostfile});
    const std::string map_by = !launcher.map_by.empty()    ? launcher.map_by
                               : !placement.map_by.empty() ? placement.map_by
                                                           : "slot";
    a.insert(a.end(), {"--map-by", map_by});
  } else if (!launcher.map_by.empty()) {
    a.insert(a.end(), {"--map-by", launcher.map_by});
  }
  if (!launcher.bind_to.empty()) a.insert(a.end(), {"--bind-to", launcher.bind_to});
  a.insert(a.end(), placement.mpirun_args.begin(), placement.mpirun_args.end());
  // Threads and placement first, so that the study's own launcher.env entries (which replace
  // them: plan_placement leaves those names out) follow in the order written.
  for (const auto& [name, value] : placement.env) {
    launch.env.emplace_back(name, value);
    a.insert(a.end(), {"-x", name});
  }
  for (const auto& [name, value] : launcher.env) {
    launch.env.emplace_back(name, value);
    a.insert(a.end(), {"-x", name});  // export to every rank, also on remote nodes
  }
  a.insert(a.end(), launcher.args.begin(), launcher.args.end());
  launch.programs.push_back(a.size());
  a.insert(a.end(), {host.rank_program, "--point", files.point_file});
  if (python_consumers) {
    // Exports are per app context: the consumers' repeats the first one's.
    std::vector<std::string> exported;
    for (std::size_t i = 1; i + 1 < a.size(); ++i) {
      if (a[i] == "-x") exported.push_back(a[i + 1]);
    }
    launch.env.emplace_back("PYTHONPATH", host.python_path);
    exported.emplace_back("PYTHONPATH");
    a.insert(a.end(), {":", "-n", std::to_string(consumers)});
    for (const auto& name : exported) a.insert(a.end(), {"-x", name});
    launch.programs.push_back(a.size());
    a.insert(a.end(), {host.python, "-m", "scalestudy.consumer", "--point", files.point_file});
  }
  return launch;
}

}  // namespace scalestudy::launch
