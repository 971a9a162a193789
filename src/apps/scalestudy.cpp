// scalestudy: plans, runs and reports studies (YAML sweeps of scalestudy-rank points).
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "launch/study_runner.hpp"
#include "report/report.hpp"
#include "study/study.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scalestudy;

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

/// scalestudy-rank: $SCALESTUDY_RANK_PROGRAM, else beside this program.
std::string rank_program() {
  if (const char* path = std::getenv("SCALESTUDY_RANK_PROGRAM")) return path;
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  const fs::path beside = self.parent_path() / "scalestudy-rank";
  if (!error && fs::exists(beside)) return beside.string();
  return "scalestudy-rank";
}

launch::LaunchHost this_host(const study::Study& study) {
  launch::LaunchHost host;
  host.rank_program = rank_program();
  // Python consumer ranks: the package the build puts beside scalestudy-rank, and the
  // interpreter it was built for.
  host.python = SCALESTUDY_PYTHON_EXECUTABLE;
  host.python_path = (fs::path(host.rank_program).parent_path() / "python").string();
  cpu_set_t set;
  CPU_ZERO(&set);
  host.cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  host.root = geteuid() == 0;
  // The nodes of a batch job may differ from the machine scalestudy runs on.
  for (const char* name : {"SLURM_CPUS_ON_NODE", "NCPUS"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && std::atoi(value) > 0 && host.node_cpus == 0) {
      host.node_cpus = std::atoi(value);
    }
  }
  if (!study.launcher.hostfile.empty()) {
    try {
      host.hosts = launch::read_hosts(study.launcher.hostfile);
    } catch (const ConfigError& error) {
      throw ConfigError(study.launcher.hostfile_origin + ": " + error.what());
    }
  }
  return host;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "scalestudy: scaling studies of an in-situ tensor database and model server.\n\n"
      "  scalestudy plan   studies/quickstart.yaml   # points and launch lines; runs nothing\n"
      "  scalestudy run    studies/quickstart.yaml   # run the points not done yet\n"
      "  scalestudy report results/quickstart/       # statistics, rates, scaling"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(core::build_info().version));

  std::string study_file;
  std::vector<std::string> only;
  bool full = false;
  auto* plan = app.add_subcommand("plan", "List the points of a study and how each is launched");
  plan->add_option("study", study_file, "study YAML file")->required();
  plan->add_option("--only", only, "keep points with KEY=VALUE (repeatable; id=<point id> too)");
  plan->add_flag("--full", full, "also print every resolved parameter of each point");

  bool force = false;
  auto* run = app.add_subcommand("run", "Run the points of a study that have no results yet");
  run->add_option("study", study_file, "study YAML file")->required();
  run->add_option("--only", only, "run only points with KEY=VALUE (repeatable; id=<point id>)");
  run->add_flag("--force", force, "re-run points that already have results");

  std::string target;
  std::string format = "table";
  std::string output;
  report::ReportOptions report_options;
  auto* rep = app.add_subcommand("report", "Statistics of a study's points (or of one point file)");
  rep->add_option("results", target, "results/<study>/ directory or a point .h5 file")->required();
  rep->add_option("--format", format, "table, csv, json or markdown")
      ->check(CLI::IsMember({"table", "csv", "json", "markdown"}));
  rep->add_option("-o,--output", output, "write to this file instead of stdout");
  rep->add_flag("--include-warmup", report_options.include_warmup, "keep warm-up samples");
  rep->add_flag("--include-failed", report_options.include_failed, "keep failed operations");
  rep->add_option("--time-op", report_options.time_op,
                  "operation timing a point for scaling (default loop_time)");
  rep->add_option("--compare", report_options.compare,
                  "swept parameter to compare side by side, e.g. backend (default: the study's "
                  "report.compare)");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*rep) {
      const std::string text =
          report::format_report(report::build_report(target, report_options), format);
      if (output.empty()) {
        std::cout << text;
      } else {
        std::ofstream(output) << text;
        std::cerr << "report written to " << output << "\n";
      }
      return 0;
    }
    const study::Study study = study::load_study(study_file);
    const launch::LaunchHost host = this_host(study);
    const launch::PointFilter filter(only);
    if (*plan) {
      launch::check_points(study, host);
      launch::print_plan(study, host, filter, full, std::cout);
      return 0;
    }
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a closed pipe (| head) must not kill the sweep mid-point
    launch::RunOptions options{force, filter};
    const auto summary = launch::run_study(study, host, options, g_interrupted, std::cout);
    std::cout << "study " << study.name << ": " << summary.completed << " completed, "
              << summary.failed << " failed, " << summary.skipped << " already done"
              << (summary.interrupted ? ", interrupted" : "") << "; index " << study.study_dir()
              << "/index.h5\n";
    if (summary.interrupted) {
      std::cout << "run the same command again to continue with the points not done\n";
      return 130;
    }
    if (summary.failed > 0) {
      std::cout << "failed points are listed by: scalestudy report " << study.study_dir() << "\n";
      return 1;
    }
    std::cout << "report: scalestudy report " << study.study_dir() << "\n";
    return 0;
  } catch (const ConfigError& error) {
    std::cerr << "scalestudy: error: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "scalestudy: " << error.what() << "\n";
    return 1;
  }
}
