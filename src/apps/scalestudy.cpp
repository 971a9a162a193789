// scalestudy: plans, runs, reports studies (YAML sweeps of scalestudy-rank points), and writes,
// submits and follows their batch jobs.
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
#include "launch/batch_jobs.hpp"
#include "launch/study_runner.hpp"
#include "launch/study_status.hpp"
#include "report/report.hpp"
#include "report/result_comparison.hpp"
#include "study/study.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scalestudy;

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

fs::path this_program() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path("scalestudy") : self;
}

/// scalestudy-rank: $SCALESTUDY_RANK_PROGRAM, else beside this program.
std::string rank_program() {
  if (const char* path = std::getenv("SCALESTUDY_RANK_PROGRAM")) return path;
  const fs::path beside = this_program().parent_path() / "scalestudy-rank";
  if (fs::exists(beside)) return beside.string();
  return "scalestudy-rank";
}

launch::LaunchHost this_host(const study::Study& study, int planned_nodes, int cpus_per_node) {
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
  host.allocation = launch::find_allocation(study.launcher, planned_nodes);
  if (cpus_per_node > 0) host.allocation.cpus_per_node = cpus_per_node;
  return host;
}

/// Options shared by plan, jobs and submit: how points are packed into allocations.
struct PackingFlags {
  int nodes = 0;
  int cpus_per_node = 0;
  std::string max_time = "24:00:00";
  bool max_time_given = false;
  double max_idle_percent = 0;

  void add_to(CLI::App* command, const std::string& nodes_help) {
    command->add_option("--nodes", nodes, nodes_help)->check(CLI::PositiveNumber);
    command
        ->add_option("--cpus-per-node", cpus_per_node,
                     "CPUs of each node of the target machine (default: launcher.cpus_per_node, "
                     "else the allocation's or the scheduler's, else this machine's)")
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--max-time", max_time,
                     "longest wall time of one allocation, HH:MM:SS (default 24:00:00); "
                     "longer ones are split")
        ->capture_default_str();
    command
        ->add_option("--max-idle", max_idle_percent,
                     "percent of a larger allocation's nodes a smaller point may leave idle "
                     "to ride in it (default 0: each node count its own allocations)")
        ->check(CLI::Range(0.0, 100.0));
  }

  launch::PackingOptions options(const study::Study& study) const {
    launch::PackingOptions packing;
    packing.max_nodes = nodes > 0 ? nodes : study.launcher.nodes;
    packing.max_nodes_source = nodes > 0 ? "--nodes" : "launcher.nodes";
    packing.max_time_s = launch::parse_wall_time(max_time, "--max-time");
    packing.max_idle = max_idle_percent / 100;
    return packing;
  }

  /// The options within what the scheduler's partition offers: no more nodes than it has, and
  /// (unless --max-time was given) no longer than its time limit.
  launch::PackingOptions options(const study::Study& study,
                                 const launch::PartitionLimits& limits) const {
    launch::PackingOptions packing = options(study);
    const std::string partition = "partition " + limits.name;
    if (limits.nodes > 0 && (packing.max_nodes == 0 || packing.max_nodes > limits.nodes)) {
      packing.max_nodes = limits.nodes;
      packing.max_nodes_source = partition;
    }
    if (limits.max_time_s > 0 && packing.max_time_s > limits.max_time_s) {
      if (max_time_given) {
        throw ConfigError("--max-time " + max_time + " is longer than the time limit of " +
                          partition + " (" + launch::wall_time_text(limits.max_time_s) + ")");
      }
      packing.max_time_s = limits.max_time_s;
    }
    return packing;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "scalestudy: scaling studies of an in-situ tensor database and model server.\n\n"
      "  scalestudy plan   studies/quickstart.yaml   # points and launch lines; runs nothing\n"
      "  scalestudy run    studies/quickstart.yaml   # run the points not done yet\n"
      "  scalestudy report results/quickstart/       # statistics, rates, scaling\n"
      "  scalestudy jobs   STUDY --scheduler slurm   # batch scripts, one per allocation\n"
      "  scalestudy submit STUDY --scheduler slurm   # write and submit them\n"
      "  scalestudy status results/<study>/          # each point: queued, running, done...\n"
      "  scalestudy compare results/a/ results/b/    # what changed, significantly"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(core::build_info().version));

  std::string study_file;
  std::vector<std::string> only;
  bool full = false;
  PackingFlags packing;
  auto* plan = app.add_subcommand("plan", "List the points of a study and how each is launched");
  plan->add_option("study", study_file, "study YAML file")->required();
  plan->add_option("--only", only, "keep points with KEY=VALUE (repeatable; id=<point id> too)");
  plan->add_flag("--full", full, "also print every resolved parameter of each point");
  packing.add_to(plan,
                 "plan for an allocation of N nodes (on a login node; default: the batch "
                 "allocation plan runs in, or launcher.nodes)");

  bool force = false;
  auto* run = app.add_subcommand("run", "Run the points of a study that have no results yet");
  run->add_option("study", study_file, "study YAML file")->required();
  run->add_option("--only", only, "run only points with KEY=VALUE (repeatable; id=<point id>)");
  run->add_flag("--force", force, "re-run points that already have results");

  std::string scheduler_name;
  launch::JobsRequest jobs_request;
  bool all = false;
  auto* jobs = app.add_subcommand("jobs", "Write batch job scripts: one per allocation");
  auto* submit = app.add_subcommand(
      "submit", "Write the job scripts of the points not done or queued, and submit them");
  for (auto* command : {jobs, submit}) {
    command->add_option("study", study_file, "study YAML file")->required();
    command->add_option("--scheduler", scheduler_name,
                        "slurm, pbs (PBS Pro, OpenPBS) or torque (default: launcher.scheduler)");
    command->add_option("--output", jobs_request.output_dir,
                        "folder of the scripts (default jobs/<study>)");
    command->add_option("--account", jobs_request.site.account, "account to charge");
    command->add_option("--partition", jobs_request.site.partition, "Slurm partition, PBS queue");
    command->add_option("--qos", jobs_request.site.qos, "quality of service (Slurm, Torque)");
    command->add_option("--only", only, "only points with KEY=VALUE (repeatable; id=<id>)");
    packing.add_to(command,
                   "largest allocation to ask for (points that need more are left out; "
                   "default: launcher.nodes, else no limit)");
  }
  jobs->add_flag("--all", all, "also points that have results (their jobs skip them)");

  std::string target;
  std::string format = "table";
  auto* status = app.add_subcommand("status",
                                    "Each point of a study: pending, queued (job id), "
                                    "running, completed, failed");
  status->add_option("results", target, "results/<study>/ directory")->required();
  status->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));

  std::string output;
  report::ReportOptions report_options;
  auto* rep = app.add_subcommand("report", "Statistics of a study's points (or of one point file)");
  rep->add_option("results", target, "results/<study>/ directory or a point .h5 file")->required();
  rep->add_option("--format", format, "table, csv, json or markdown")
      ->check(CLI::IsMember({"table", "csv", "json", "markdown"}));
  rep->add_option("-o,--output", output, "write to this file instead of stdout");
  bool wide = false;
  rep->add_flag("--wide", wide,
                "table: every column, the point beside each row (the default view fits 120 "
                "columns)");
  rep->add_flag("--include-warmup", report_options.include_warmup, "keep warm-up samples");
  rep->add_flag("--include-failed", report_options.include_failed, "keep failed operations");
  rep->add_flag("--include-older", report_options.include_older,
                "also the completed points of older versions of the study");
  rep->add_option("--time-op", report_options.time_op,
                  "operation timing a point for scaling (default loop_time)");
  rep->add_option("--compare", report_options.compare,
                  "swept parameter to compare side by side, e.g. backend (default: the study's "
                  "report.compare)");

  std::string base;
  double threshold_percent = 5;
  report::CompareOptions compare_options;
  auto* compare = app.add_subcommand(
      "compare",
      "Match two result sets point by point and test every operation's change (exit status 1 "
      "when one changed significantly beyond the threshold)");
  compare->add_option("base", base, "results/<study>/ or a point file: before")->required();
  compare->add_option("new", target, "results/<study>/ or a point file: after")->required();
  compare
      ->add_option("--threshold", threshold_percent,
                   "percent change of the p50 below which nothing counts as changed (default 5)")
      ->check(CLI::Range(0.0, 1000.0));
  compare->add_option("--format", format, "table, csv, json or markdown")
      ->check(CLI::IsMember({"table", "csv", "json", "markdown"}));
  compare->add_flag("--include-warmup", compare_options.samples.include_warmup,
                    "keep warm-up samples");
  compare->add_flag("--wide", wide, "table: the point beside each row");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*rep) {
      const std::string text =
          report::format_report(report::build_report(target, report_options), format, wide);
      if (output.empty()) {
        std::cout << text;
      } else {
        std::ofstream(output) << text;
        std::cerr << "report written to " << output << "\n";
      }
      return 0;
    }
    if (*compare) {
      compare_options.threshold = threshold_percent / 100;
      const auto comparison = report::compare_result_sets(base, target, compare_options);
      std::cout << report::format_set_comparison(comparison, format, wide);
      return comparison.changed() ? 1 : 0;
    }
    if (*status) {
      launch::print_status(target, format, std::cout);
      return 0;
    }
    const study::Study study = study::load_study(study_file);
    const launch::PointFilter filter(only);
    if (*jobs || *submit) {
      if (scheduler_name.empty()) scheduler_name = study.launcher.scheduler;
      if (scheduler_name.empty()) {
        throw ConfigError(
            "which scheduler? give --scheduler slurm, pbs or torque (or "
            "launcher.scheduler in the study)");
      }
      const auto scheduler = launch::make_scheduler(scheduler_name);
      const launch::PartitionLimits limits = scheduler->limits(jobs_request.site.partition);
      jobs_request.packing = packing.options(study, limits);
      if (jobs_request.output_dir.empty()) jobs_request.output_dir = "jobs/" + study.name;
      jobs_request.scalestudy_program = fs::absolute(this_program()).string();
      jobs_request.workdir = fs::current_path().string();
      jobs_request.cpus_per_node = packing.cpus_per_node > 0          ? packing.cpus_per_node
                                   : study.launcher.cpus_per_node > 0 ? study.launcher.cpus_per_node
                                                                      : limits.cpus_per_node;
      if (*jobs) {
        launch::write_jobs(study, *scheduler, jobs_request, filter, all, std::cout);
      } else {
        launch::submit_jobs(study, *scheduler, jobs_request, filter, std::cout);
      }
      return 0;
    }
    const launch::LaunchHost host =
        this_host(study, *plan ? packing.nodes : 0, *plan ? packing.cpus_per_node : 0);
    if (*plan) {
      launch::print_plan(study, host, filter, full, packing.options(study), std::cout);
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
              << summary.failed << " failed, " << summary.skipped << " already done";
    if (summary.left_out > 0) std::cout << ", " << summary.left_out << " skipped (cannot run here)";
    std::cout << (summary.interrupted ? ", interrupted" : "") << "; index " << study.study_dir()
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
  } catch (const launch::SubmitError& error) {
    std::cerr << "scalestudy: submit failed: " << error.what() << "\n";
    return 3;
  } catch (const std::exception& error) {
    std::cerr << "scalestudy: " << error.what() << "\n";
    return *compare ? 2 : 1;  // compare's 1 means "changed"
  }
}
