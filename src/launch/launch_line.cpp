// Launch lines: what every launcher shares (placement, nodes, environment), then mpirun's or
// srun's own words (mpirun_line.cpp, srun_line.cpp).
#include "launch/launch_line.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "core/layout.hpp"
#include "core/mpi_runtime.hpp"
#include "launch/impl/launcher_argv.hpp"
#include "workloads/aggregation_parameters.hpp"

namespace scalestudy::launch {

PointFiles point_files(const study::Study& study, const study::StudyPoint& point) {
  PointFiles files;
  files.directory = study.study_dir() + "/points/" + point.id;
  files.point_file = files.directory + "/point.yaml";
  files.results_file = files.directory + "/point.h5";
  files.log_file = files.directory + "/log.txt";
  files.hostfile = files.directory + "/hostfile";
  files.rankfile = files.directory + "/rankfile";
  files.multi_prog = files.directory + "/multi-prog.conf";
  return files;
}

const std::string* Launch::file(const std::string& path) const {
  for (const auto& f : files) {
    if (f.path == path) return &f.text;
  }
  return nullptr;
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
  // mpirun: -x before the program of every app context (-x is per context).
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

Launch build_launch(const study::Study& study, const study::StudyPoint& point,
                    const PointFiles& files, const LaunchHost& host) {
  const auto& p = point.params;
  const bool real_nodes = study.launcher.real_nodes();
  const int cpus =
      real_nodes && host.allocation.cpus_per_node > 0 ? host.allocation.cpus_per_node : host.cores;
  detail::PointLaunch plan{study,
                           point,
                           files,
                           host,
                           plan_placement(study, point, cpus, core::hostname(), files.rankfile),
                           {},
                           0,
                           {}};
  if (real_nodes) {
    if (const std::string why = does_not_fit(study, point, host.allocation); !why.empty()) {
      throw ConfigError("it " + why + "; allocate more nodes or exclude the larger points");
    }
    plan.ranks_on_node = ranks_on_nodes(study, point);
  }
  const auto consumers = core::layout_request(p).consumers;
  if (consumers > 0 && workloads::AggregationParameters::of(p).python_consumer) {
    if (!std::filesystem::exists(host.python_path + "/scalestudy/consumer.py")) {
      throw ConfigError(
          "consumer_language: python needs the scalestudy Python package beside "
          "scalestudy-rank (build/python), built when pybind11 is found: install pybind11-dev "
          "and python3-mpi4py (scripts/setup does) and rebuild");
    }
    plan.python_consumers = static_cast<int>(consumers);
  }
  // Threads and placement first, so that the study's own launcher.env entries (which replace
  // them: plan_placement leaves those names out) follow in the order written.
  plan.exported = plan.placement.env;
  plan.exported.insert(plan.exported.end(), study.launcher.env.begin(), study.launcher.env.end());

  Launch launch;
  launch.placement = plan.placement.summary;
  launch.oversubscribed = plan.placement.oversubscribed;
  launch.threads_per_node = plan.placement.threads_per_node;
  launch.cpus_per_node = plan.placement.cpus_per_node;
  if (!plan.placement.rankfile_text.empty()) {
    launch.files.push_back({files.rankfile, plan.placement.rankfile_text});
  }
  if (host.root) {
    launch.env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT", "1");
    launch.env.emplace_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
  }
  if (study.launcher.kind == "srun") {
    detail::build_srun(plan, launch);
  } else {
    detail::build_mpirun(plan, launch);
  }
  return launch;
}

}  // namespace scalestudy::launch
