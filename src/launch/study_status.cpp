// Point states from the index and the scheduler's view of their jobs.
#include "launch/study_status.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <set>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "launch/process.hpp"

namespace scalestudy::launch {
namespace {

using core::json_string;

std::string attribute_text(const results::StudyIndex& index, const std::string& name) {
  for (const auto& attribute : index.attributes) {
    if (attribute.name == name) {
      if (const auto* text = std::get_if<std::string>(&attribute.value)) return *text;
    }
  }
  return "";
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", seconds);
  return text;
}

}  // namespace

PointView view_point(const results::PointStatus& status, const JobState* job,
                     const std::string& scheduler_note) {
  PointView view{status.id, status.varied, status.status, status.job_id, status.reason};
  const std::string& s = status.status;
  if (s == "completed") {
    view.detail = seconds_text(status.duration_s);
    return view;
  }
  if (status.job_id.empty()) {
    if (s == "timeout") view.state = "failed";
    if (s == "interrupted") view.state = "pending";
    return view;
  }
  const std::string job_text = "job " + status.job_id;
  if (job != nullptr && job->active) {
    if (s == "running" && job->running) return view;  // detail: "started <time>"
    view.state = "queued";
    view.detail = job->running ? job_text + " is running; the point waits its turn"
                               : job_text + " is " + job->state +
                                     (job->reason.empty() ? "" : " (" + job->reason + ")");
    return view;
  }
  // The job ended, or the scheduler no longer knows it (or could not be asked).
  const std::string ended = job != nullptr
                                ? job_text + " ended (" + job->state + ")"
                                : job_text + " is not known to the scheduler" +
                                      (scheduler_note.empty() ? "" : " (" + scheduler_note + ")");
  if (s == "failed" || s == "timeout") {
    view.state = "failed";
  } else if (s == "running" || s == "interrupted") {
    view.state = "pending";
    view.detail = ended + " while the point ran; submit again to run it";
  } else if (s == "skipped") {
    view.detail = status.reason + "; submit again to run it in an allocation that fits";
  } else {
    view.state = "pending";
    view.detail = ended + " before the point ran; submit again to run it";
  }
  return view;
}

void print_status(const std::string& results_dir, const std::string& format, std::ostream& out) {
  const std::string index_path = (std::filesystem::path(results_dir) / "index.h5").string();
  if (!std::filesystem::exists(index_path)) {
    throw ResultsError(results_dir + ": no index.h5; `scalestudy run` or `scalestudy submit` " +
                       "writes one (give the folder results/<study>/)");
  }
  const results::StudyIndex index = results::read_study_index(index_path);

  // Ask each scheduler once about the jobs of the points not completed.
  std::map<std::string, std::vector<std::string>> jobs_by_scheduler;
  for (const auto& status : index.points) {
    if (status.status != "completed" && !status.job_id.empty() && !status.scheduler.empty()) {
      auto& ids = jobs_by_scheduler[status.scheduler];
      if (std::find(ids.begin(), ids.end(), status.job_id) == ids.end()) {
        ids.push_back(status.job_id);
      }
    }
  }
  std::map<std::string, std::map<std::string, JobState>> states;
  std::map<std::string, std::string> notes;
  for (const auto& [name, ids] : jobs_by_scheduler) {
    try {
      states[name] = make_scheduler(name)->states(ids);
      if (states[name].empty()) notes[name] = "asked " + name + "'s queue, which has none of them";
    } catch (const Error& error) {
      notes[name] = error.what();
    }
  }

  std::vector<PointView> views;
  std::map<std::string, int> counts;
  for (const auto& status : index.points) {
    const JobState* job = nullptr;
    if (const auto it = states.find(status.scheduler); it != states.end()) {
      if (const auto found = it->second.find(status.job_id); found != it->second.end()) {
        job = &found->second;
      }
    }
    views.push_back(view_point(status, job, notes[status.scheduler]));
    ++counts[views.back().state];
  }
  const std::vector<std::string> order = {"completed", "running", "queued",
                                          "pending",   "failed",  "skipped"};
  const std::string name = attribute_text(index, "study_name");
  if (format == "json") {
    out << "{\"study\": " << json_string(name) << ", \"results\": " << json_string(results_dir)
        << ", \"counts\": {";
    for (std::size_t i = 0; i < order.size(); ++i) {
      out << (i ? ", " : "") << json_string(order[i]) << ": " << counts[order[i]];
    }
    out << "}, \"points\": [";
    for (std::size_t i = 0; i < views.size(); ++i) {
      const auto& v = views[i];
      out << (i ? ",\n  " : "\n  ") << "{\"id\": " << json_string(v.id)
          << ", \"state\": " << json_string(v.state) << ", \"job_id\": " << json_string(v.job_id)
          << ", \"varied\": " << json_string(v.varied) << ", \"detail\": " << json_string(v.detail)
          << "}";
    }
    out << "\n]}\n";
    return;
  }
  std::string summary;
  for (const auto& state : order) {
    summary += (summary.empty() ? " " : ", ") + std::to_string(counts[state]) + " " + state;
  }
  out << "study " << name << " (" << results_dir << "): " << views.size() << " points:" << summary
      << "\n";
  char line[160];
  std::snprintf(line, sizeof(line), "%-16s  %-9s  %-10s  ", "point", "state", "job");
  out << line << "swept values / detail\n";
  for (const auto& v : views) {
    std::snprintf(line, sizeof(line), "%-16s  %-9s  %-10s  ", v.id.c_str(), v.state.c_str(),
                  v.job_id.empty() ? "-" : v.job_id.c_str());
    out << line << (v.varied.empty() ? "the only point" : v.varied);
    if (!v.detail.empty()) out << "; " << v.detail;
    out << "\n";
  }
}

}  // namespace scalestudy::launch
