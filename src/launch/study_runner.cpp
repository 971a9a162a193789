// Planning and running studies.
#include "launch/study_runner.hpp"

#include <sys/stat.h>

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

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/placement.hpp"
#include "core/provenance.hpp"
#include "launch/process.hpp"
#include "results/point_reader.hpp"
#include "results/study_index.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::launch {
namespace {

namespace fs = std::filesystem;

std::string varied_text(const study::StudyPoint& point) {
  std::string out;
  for (const auto& [key, value] : point.varied) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value;
  }
  return out;
}

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

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Statuses of every point of the study, from the previous index and the files on disk.
std::map<std::string, results::PointStatus> known_statuses(const study::Study& study) {
  std::map<std::string, results::PointStatus> known;
  const std::string index = study.study_dir() + "/index.h5";
  if (fs::exists(index)) {
    try {
      for (auto& status : results::read_study_index(index).points) {
        known[status.id] = std::move(status);
      }
    } catch (const Error&) {
      // A damaged index is rebuilt from the point files below.
    }
  }
  for (const auto& point : study.points) {
    const PointFiles files = point_files(study, point);
    auto& status = known[point.id];
    status.id = point.id;
    status.varied = varied_text(point);
    status.world_size = point.world_size;
    status.parameters_yaml = point.params.to_yaml();
    const bool complete = results::is_complete_point_file(files.results_file);
    if (complete) {
      status.status = "completed";
      status.file = "points/" + point.id + "/point.h5";
      status.reason.clear();
      status.log_tail.clear();
    } else if (status.status.empty() || status.status == "completed") {
      status.status = "pending";
      status.file.clear();
    }
  }
  return known;
}

void write_index(const study::Study& study,
                 const std::map<std::string, results::PointStatus>& known) {
  results::StudyIndex index;
  int completed = 0;
  int failed = 0;
  for (const auto& point : study.points) {
    const auto& status = known.at(point.id);
    completed += status.status == "completed";
    failed += status.status == "failed" || status.status == "timeout";
    index.points.push_back(status);
  }
  std::string swept;
  for (const auto& key : study.swept_keys) swept += (swept.empty() ? "" : ",") + key;
  std::string divide;
  for (const auto& key : study.scaling.divide) divide += (divide.empty() ? "" : ",") + key;
  index.attributes = {
      {"study_name", study.name},
      {"study_file", fs::absolute(study.path).string()},
      {"study_yaml", read_file(study.path)},
      {"description", study.description},
      {"scaling_mode", study.scaling.mode},
      {"scaling_divide", divide},
      {"swept_keys", swept},
      {"report_compare", study.report_compare},
      {"scalestudy_version", std::string(core::build_info().version)},
      {"git_sha", std::string(core::build_info().git_sha)},
      {"updated", core::utc_timestamp()},
      {"n_points", static_cast<std::int64_t>(study.points.size())},
      {"n_completed", static_cast<std::int64_t>(completed)},
      {"n_failed", static_cast<std::int64_t>(failed)},
  };
  results::write_study_index(study.study_dir() + "/index.h5", index);
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

void check_points(const study::Study& study, const LaunchHost& host) {
  for (const auto& point : study.points) {
    try {
      workloads::make_workload(point.params.text("workload"))->validate(point.params);
      build_launch(study, point, point_files(study, point), host);
    } catch (const ConfigError& error) {
      throw ConfigError(study.path + ": point " + point.id + " (" + varied_text(point) +
                        "): " + error.what());
    }
  }
}

void print_plan(const study::Study& study, const LaunchHost& host, const PointFilter& filter,
                bool full, std::ostream& out) {
  std::size_t selected = 0;
  for (const auto& point : study.points) selected += filter.selects(point);
  out << "study " << study.name << " (" << study.path << "): " << study.points.size() << " point"
      << (study.points.size() == 1 ? "" : "s");
  if (!filter.empty()) out << ", " << selected << " selected by --only";
  out << "; results in " << study.study_dir() << "/\n";
  if (!study.description.empty()) out << "  " << study.description << "\n";
  out << "  scaling: " << study.scaling.mode;
  for (const auto& key : study.scaling.divide) out << " (" << key << " is a total over clients)";
  out << "; repetitions: " << study.repetitions << "; timeout: " << study.timeout_s << " s\n";
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
    const bool done = results::is_complete_point_file(files.results_file);
    out << "[" << number << "/" << study.points.size() << "] " << point.id << "  "
        << point.world_size << " ranks  " << (done ? "done     " : "to run   ")
        << varied_text(point) << "\n";
    const Launch launch = build_launch(study, point, files, host);
    out << "    placement: " << launch.placement << "\n";
    out << "    " << shell_line(launch) << "\n";
    if (full) {
      std::istringstream lines(point.params.to_yaml());
      for (std::string line; std::getline(lines, line);) out << "      " << line << "\n";
    }
  }
}

RunSummary run_study(const study::Study& study, const LaunchHost& host, const RunOptions& options,
                     const std::atomic<bool>& interrupt, std::ostream& out) {
  check_points(study, host);
  fs::create_directories(study.study_dir());
  auto known = known_statuses(study);

  RunSummary summary;
  std::vector<const study::StudyPoint*> to_run;
  for (const auto& point : study.points) {
    if (!options.filter.selects(point)) continue;
    ++summary.selected;
    if (!options.force && known[point.id].status == "completed") {
      ++summary.skipped;
      continue;
    }
    to_run.push_back(&point);
  }
  out << "study " << study.name << ": " << summary.selected << " of " << study.points.size()
      << " points selected, " << summary.skipped << " already done, " << to_run.size()
      << " to run; results in " << study.study_dir() << "/\n";
  write_index(study, known);

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
    if (!launch.hostfile_text.empty()) write_file(files.hostfile, launch.hostfile_text);
    if (!launch.rankfile_text.empty()) write_file(files.rankfile, launch.rankfile_text);

    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int left = static_cast<int>(to_run.size()) - finished;
    out << "[" << finished + 1 << "/" << to_run.size() << "] " << point->id << " "
        << varied_text(*point) << " (" << point->world_size << " ranks)  elapsed "
        << clock_text(elapsed);
    if (finished > 0) out << ", ~" << clock_text(spent / finished * left) << " left";
    out << " ... " << std::flush;

    stamp_launch_time(launch, core::epoch_seconds());
    const ProcessResult result =
        run_process(launch.argv, launch.env, files.log_file, study.timeout_s, interrupt);
    spent += result.seconds;
    ++finished;

    auto& status = known[point->id];
    status.duration_s = result.seconds;
    status.exit_status = result.exit_status;
    status.file.clear();
    // A complete results file is the point's result, however the job ended after writing it
    // (e.g. Ctrl-C while ranks were finalising).
    const bool wrote = results::is_complete_point_file(files.results_file);
    if (wrote) {
      status.status = "completed";
      status.reason.clear();
      status.file = "points/" + point->id + "/point.h5";
    } else if (result.interrupted) {
      status.status = "interrupted";
      status.reason = "interrupted (SIGINT); the point runs again next time";
    } else if (result.timed_out) {
      status.status = "timeout";
      status.reason = "ran longer than timeout_s=" + core::format_value(study.timeout_s) +
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
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f s", result.seconds);
    if (status.status == "completed") {
      status.log_tail.clear();
      ++summary.completed;
      out << "completed in " << seconds << "\n";
    } else {
      status.log_tail = tail_of(files.log_file, 20);
      if (status.status == "interrupted") {
        summary.interrupted = true;
      } else {
        ++summary.failed;
      }
      out << status.status << " after " << seconds << ": " << status.reason << "\n";
      if (status.status != "interrupted") {
        out << "    log " << files.log_file << ", last lines:\n";
        std::istringstream lines(tail_of(files.log_file, 6));
        for (std::string line; std::getline(lines, line);) out << "      | " << line << "\n";
      }
    }
    write_index(study, known);
  }
  if (interrupt.load()) summary.interrupted = true;
  return summary;
}

}  // namespace scalestudy::launch
