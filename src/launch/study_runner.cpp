// Planning and running studies.
#include "launch/study_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "core/error.hpp"
#include "core/placement.hpp"
#include "core/provenance.hpp"
#include "launch/index_store.hpp"
#include "launch/process.hpp"
#include "results/point_reader.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::launch {
namespace {

namespace fs = std::filesystem;
using study::varied_text;

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(std::llround(seconds));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

/// The resolved point as scalestudy-rank reads it, with its results file.
std::string point_yaml(const study::StudyPoint& point, const PointFiles& files) {
  core::Parameters params = point.params;
  params.set("output", fs::absolute(files.results_file).string(), "study");
  return "# Written by scalestudy for point " + point.id + "; scalestudy-rank --point reads it.\n" +
         params.to_yaml();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw Error("cannot write " + path);
}

std::string scheduler_of(const Allocation& allocation) {
  if (allocation.kind == Allocation::Kind::Slurm) return "slurm";
  if (allocation.kind == Allocation::Kind::Pbs) return "pbs";
  return "";
}

/// What ended a point's process, as its status. `interrupted`: scalestudy itself was told to
/// stop (a batch system's scancel or qdel signals every process of the job at once, so the
/// launcher may end by that signal before scalestudy kills it).
void record_result(results::PointStatus& status, const ProcessResult& result, bool wrote,
                   bool interrupted, double timeout_s) {
  status.duration_s = result.seconds;
  status.exit_status = result.exit_status;
  status.file.clear();
  // A complete results file is the point's result, however the job ended after writing it
  // (e.g. Ctrl-C while ranks were finalising).
  if (wrote) {
    status.status = "completed";
    status.reason.clear();
    status.file = "points/" + status.id + "/point.h5";
  } else if (result.interrupted || interrupted) {
    status.status = "interrupted";
    status.reason = "interrupted (SIGINT or SIGTERM); the point runs again next time";
  } else if (result.timed_out) {
    status.status = "timeout";
    status.reason = "ran longer than timeout_s=" + core::format_value(timeout_s) +
                    " s; its process group was killed";
  } else if (result.signal != 0) {
    status.status = "failed";
    status.reason = std::string("killed by signal ") + std::to_string(result.signal) + " (" +
                    strsignal(result.signal) + ")";
  } else if (result.exit_status != 0) {
    status.status = "failed";
    status.reason = "exited with status " + std::to_string(result.exit_status);
  } else {
    status.status = "failed";
    status.reason = "exited with status 0 but wrote no complete results file";
  }
}

void print_footer(const study::Study& study, const LaunchHost& host, const LeftOut& left_out,
                  const std::vector<const study::StudyPoint*>& selected,
                  const PackingOptions& options, std::ostream& out) {
  int smallest = 0;
  int largest = 0;
  for (const auto* point : selected) {
    const int nodes = nodes_needed(study, *point);
    smallest = smallest == 0 ? nodes : std::min(smallest, nodes);
    largest = std::max(largest, nodes);
  }
  out << "\nsummary: " << selected.size() << (selected.size() == 1 ? " point" : " points") << ", "
      << smallest;
  if (largest != smallest) out << " to " << largest;
  out << (largest == 1 ? " node" : " nodes") << " each";
  if (!left_out.empty()) {
    out << "; " << left_out.size() << " cannot run on " << host.allocation.describe()
        << ", left out";
  } else if (host.allocation.kind != Allocation::Kind::ThisMachine) {
    out << "; " << host.allocation.describe() << ": every point fits";
  }
  out << "\n";
  const Packing packing = pack_points(study, selected, options);
  std::map<int, std::pair<int, std::size_t>> by_size;  // nodes -> allocations, points
  double longest = 0;
  for (const auto& job : packing.jobs) {
    auto& [allocations, points] = by_size[job.nodes];
    ++allocations;
    points += job.points.size();
    longest = std::max(longest, job.wall_time_s);
  }
  char idle[32];
  std::snprintf(idle, sizeof(idle), "%g%%", options.max_idle * 100);
  out << "scalestudy jobs would write " << packing.jobs.size()
      << (packing.jobs.size() == 1 ? " allocation" : " allocations") << " (--max-time "
      << wall_time_text(options.max_time_s) << ", --max-idle " << idle << "), the longest "
      << wall_time_text(longest) << ":\n";
  out << "     nodes  allocations   points\n";
  for (const auto& [nodes, counts] : by_size) {
    char line[96];
    std::snprintf(line, sizeof(line), "  %8d  %11d  %7zu\n", nodes, counts.first, counts.second);
    out << line;
  }
  char hours[64];
  std::snprintf(hours, sizeof(hours), "%.1f", packing.node_hours());
  out << "node-hours asked for: " << hours << " (every point at its timeout_s of "
      << core::format_value(study.timeout_s) << " s, plus " << wall_time_text(kJobMarginSeconds)
      << " per allocation: an upper bound)\n";
}

}  // namespace

PointFilter::PointFilter(const std::vector<std::string>& only) {
  for (const auto& item : only) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError("--only " + item + ": expected KEY=VALUE, e.g. --only tensor_bytes=1MiB");
    }
    const std::string key = item.substr(0, equals);
    const std::string value = item.substr(equals + 1);
    std::string canonical = value;
    if (key != "id") {
      const core::ParamSpec* spec = core::find_parameter(key);
      if (spec == nullptr) {
        const std::string best = core::closest_parameter(key);
        throw ConfigError("--only " + item + ": unknown parameter '" + key + "'" +
                          (best.empty() ? "" : " (did you mean '" + best + "'?)"));
      }
      try {
        canonical = core::format_value(core::parse_value(*spec, value));
      } catch (const ConfigError& error) {
        throw ConfigError("--only " + item + ": " + error.what());
      }
    }
    auto it =
        std::find_if(keys_.begin(), keys_.end(), [&](const auto& k) { return k.first == key; });
    if (it == keys_.end()) {
      keys_.emplace_back(key, std::vector<std::string>{});
      it = keys_.end() - 1;
    }
    it->second.push_back(canonical);
  }
}

bool PointFilter::selects(const study::StudyPoint& point) const {
  for (const auto& [key, values] : keys_) {
    const std::string actual =
        key == "id" ? point.id : core::format_value(point.params.entry(key).value);
    if (std::find(values.begin(), values.end(), actual) == values.end()) return false;
  }
  return true;
}

void PointFilter::check_ids(const study::Study& study) const {
  for (const auto& [key, values] : keys_) {
    if (key != "id") continue;
    for (const auto& id : values) {
      const bool known = std::any_of(study.points.begin(), study.points.end(),
                                     [&](const study::StudyPoint& p) { return p.id == id; });
      if (!known) {
        throw ConfigError("--only id=" + id + ": " + study.path +
                          " has no such point; the study (or scalestudy's version, which every "
                          "id includes) changed since the id was written: `scalestudy plan` "
                          "lists the ids now, and `scalestudy jobs` writes new job scripts");
      }
    }
  }
}

LeftOut check_points(const study::Study& study, const LaunchHost& host, const PointFilter& filter) {
  LeftOut left_out;
  bool any_runs = false;
  for (const auto& point : study.points) {
    try {
      workloads::make_workload(point.params.text("workload"))->validate(point.params);
      if (const std::string why = does_not_fit(study, point, host.allocation); !why.empty()) {
        left_out.emplace(point.id, why);
        continue;
      }
      const Launch launch = build_launch(study, point, point_files(study, point), host);
      if (study.skip_oversubscribed && launch.oversubscribed) {
        left_out.emplace(point.id,
                         "needs " + std::to_string(launch.threads_per_node) +
                             (study.launcher.real_nodes() ? " CPUs per node, its nodes have "
                                                          : " CPUs, this machine has ") +
                             std::to_string(launch.cpus_per_node));
        continue;
      }
      any_runs = any_runs || filter.selects(point);
    } catch (const ConfigError& error) {
      throw ConfigError(study.path + ": point " + point.id + " (" + varied_text(point) +
                        "): " + error.what());
    }
  }
  if (!any_runs) {
    int smallest = 0;
    const study::StudyPoint* first = nullptr;
    for (const auto& point : study.points) {
      if (!filter.selects(point)) continue;
      if (first == nullptr) first = &point;
      const int nodes = nodes_needed(study, point);
      smallest = smallest == 0 ? nodes : std::min(smallest, nodes);
    }
    if (first == nullptr) {
      throw ConfigError(study.path + ": --only selects no point of the study; nothing would run");
    }
    if (smallest > host.allocation.nodes() &&
        host.allocation.kind != Allocation::Kind::ThisMachine) {
      throw ConfigError(
          study.path + ": " + host.allocation.describe() +
          " is smaller than every point selected (the smallest needs " + std::to_string(smallest) +
          " nodes): nothing would run; allocate at least " + std::to_string(smallest) + " nodes");
    }
    throw ConfigError(study.path + ": no point selected can run on " + host.allocation.describe() +
                      ": the first " + left_out.at(first->id) + "; nothing would run");
  }
  return left_out;
}

void print_plan(const study::Study& study, const LaunchHost& host, const PointFilter& filter,
                bool full, const PackingOptions& packing, std::ostream& out) {
  const LeftOut left_out = check_points(study, host, filter);
  std::vector<const study::StudyPoint*> selected;
  for (const auto& point : study.points) {
    if (filter.selects(point)) selected.push_back(&point);
  }
  out << "study " << study.name << " (" << study.path << "): " << study.points.size() << " point"
      << (study.points.size() == 1 ? "" : "s");
  if (!filter.empty()) out << ", " << selected.size() << " selected by --only";
  out << "; results in " << study.study_dir() << "/\n";
  if (!study.description.empty()) out << "  " << study.description << "\n";
  out << "  scaling: " << study.scaling.mode;
  for (const auto& key : study.scaling.divide) out << " (" << key << " is a total over clients)";
  out << "; repetitions: " << study.repetitions << "; timeout: " << study.timeout_s << " s\n";
  out << "  launcher: " << study.launcher.kind << " on " << host.allocation.describe() << "\n";
  out << "  fixed:";
  const auto& first = study.points.front().params;
  for (const auto& [name, entry] : first.entries()) {
    const bool swept =
        std::find(study.swept_keys.begin(), study.swept_keys.end(), name) != study.swept_keys.end();
    if (!entry.is_explicit || swept || name == "repetition" || name == "node_mode") continue;
    out << " " << name << "=" << core::format_value(entry.value);
  }
  out << "\n\n";
  int number = 0;
  for (const auto& point : study.points) {
    ++number;
    if (!filter.selects(point)) continue;
    const PointFiles files = point_files(study, point);
    const auto large = left_out.find(point.id);
    const bool done = results::is_complete_point_file(files.results_file);
    out << "[" << number << "/" << study.points.size() << "] " << point.id << "  "
        << point.world_size << " ranks  "
        << (done                      ? "done     "
            : large != left_out.end() ? "skipped  "
                                      : "to run   ")
        << varied_text(point) << "\n";
    if (large != left_out.end()) {
      out << "    skipped (" << large->second << ")\n";
      continue;
    }
    const Launch launch = build_launch(study, point, files, host);
    out << "    placement: " << launch.placement << "\n";
    out << "    " << shell_line(launch) << "\n";
    if (full) {
      std::istringstream lines(point.params.to_yaml());
      for (std::string line; std::getline(lines, line);) out << "      " << line << "\n";
    }
  }
  print_footer(study, host, left_out, selected, packing, out);
}

RunSummary run_study(const study::Study& study, const LaunchHost& host, const RunOptions& options,
                     const std::atomic<bool>& interrupt, std::ostream& out) {
  options.filter.check_ids(study);
  const LeftOut left_out = check_points(study, host, options.filter);
  const std::string job_id = host.allocation.job_id;
  const std::string scheduler = scheduler_of(host.allocation);

  RunSummary summary;
  std::vector<const study::StudyPoint*> to_run;
  std::vector<std::string> skipped_lines;
  {
    const IndexLock lock(study);
    StatusMap known = read_statuses(study, true);
    for (const auto& point : study.points) {
      if (!options.filter.selects(point)) continue;
      ++summary.selected;
      auto& status = known[point.id];
      if (!options.force && status.status == "completed") {
        ++summary.skipped;
      } else if (const auto large = left_out.find(point.id); large != left_out.end()) {
        ++summary.left_out;
        status.status = "skipped";
        status.reason = large->second;
        status.job_id = job_id;
        status.scheduler = scheduler;
        skipped_lines.push_back("  skipped " + point.id + " " + varied_text(point) + " (" +
                                large->second + ")\n");
      } else {
        to_run.push_back(&point);
      }
    }
    write_index(study, known);
  }
  out << "study " << study.name << ": " << summary.selected << " of " << study.points.size()
      << " points selected, " << summary.skipped << " already done, ";
  if (summary.left_out > 0) {
    out << summary.left_out << " cannot run on " << host.allocation.describe() << ", ";
  }
  out << to_run.size() << " to run; results in " << study.study_dir() << "/\n";
  for (const auto& line : skipped_lines) out << line;

  const auto start = std::chrono::steady_clock::now();
  double spent = 0;
  int finished = 0;
  for (const auto* point : to_run) {
    if (interrupt.load()) break;
    const PointFiles files = point_files(study, *point);
    fs::create_directories(files.directory);
    fs::remove(files.results_file);  // a stale file must not pass for this run's result
    Launch launch = build_launch(study, *point, files, host);
    write_file(files.point_file, point_yaml(*point, files));
    for (const auto& file : launch.files) write_file(file.path, file.text);

    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int left = static_cast<int>(to_run.size()) - finished;
    out << "[" << finished + 1 << "/" << to_run.size() << "] " << point->id << " "
        << varied_text(*point) << " (" << point->world_size << " ranks)  elapsed "
        << clock_text(elapsed);
    if (finished > 0) out << ", ~" << clock_text(spent / finished * left) << " left";
    out << " ... " << std::flush;

    update_index(study, [&](StatusMap& statuses) {
      auto& status = statuses[point->id];
      status.status = "running";
      status.reason = "started " + core::utc_timestamp();
      status.job_id = job_id;
      status.scheduler = scheduler;
    });
    stamp_launch_time(launch, core::epoch_seconds());
    const ProcessResult result =
        run_process(launch.argv, launch.env, files.log_file, study.timeout_s, interrupt);
    spent += result.seconds;
    ++finished;

    const bool wrote = results::is_complete_point_file(files.results_file);
    results::PointStatus ended;
    update_index(study, [&](StatusMap& statuses) {
      auto& status = statuses[point->id];
      record_result(status, result, wrote, interrupt.load(), study.timeout_s);
      status.log_tail = status.status == "completed" ? "" : tail_of(files.log_file, 20);
      ended = status;
    });
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f s", result.seconds);
    if (ended.status == "completed") {
      ++summary.completed;
      out << "completed in " << seconds << "\n";
      continue;
    }
    if (ended.status == "interrupted") {
      summary.interrupted = true;
    } else {
      ++summary.failed;
    }
    out << ended.status << " after " << seconds << ": " << ended.reason << "\n";
    if (ended.status != "interrupted") {
      out << "    log " << files.log_file << ", last lines:\n";
      std::istringstream lines(tail_of(files.log_file, 6));
      for (std::string line; std::getline(lines, line);) out << "      | " << line << "\n";
    }
  }
  if (interrupt.load()) summary.interrupted = true;
  return summary;
}

}  // namespace scalestudy::launch
