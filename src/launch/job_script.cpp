// Rendering and writing job scripts.
#include "launch/job_script.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.hpp"
#include "launch/allocation.hpp"
#include "launch/launch_line.hpp"

namespace scalestudy::launch {
namespace {

namespace fs = std::filesystem;
using study::varied_text;

/// The names of the scripts `jobs` writes: <number>-<nodes>nodes.sh.
bool is_script_name(const std::string& name) {
  static const std::regex form(R"(^\d+-\d+nodes\.sh$)");
  return std::regex_match(name, form);
}

std::string read_template(const study::Study& study, const Scheduler& scheduler,
                          std::string& origin) {
  if (study.launcher.template_path.empty()) {
    origin = "jobs/" + std::string(scheduler.name()) + ".sh, built in";
    return std::string(scheduler.builtin_template());
  }
  origin = study.launcher.template_path;
  std::ifstream in(origin);
  if (!in) {
    throw ConfigError(study.launcher.template_origin + ": cannot read launcher.template '" +
                      origin + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string points_comment(const study::Study& study, const JobAllocation& job) {
  std::ostringstream out;
  out << "# " << job.points.size() << (job.points.size() == 1 ? " point" : " points")
      << ", run one after the other (each at most timeout_s=" << study.timeout_s << " s):";
  for (const auto* point : job.points) {
    out << "\n#   " << point->id << "  " << varied_text(*point) << "  ("
        << nodes_needed(study, *point) << " nodes, " << point->world_size << " ranks)";
  }
  return out.str();
}

std::string run_command_text(const study::Study& study, const JobAllocation& job,
                             const JobsRequest& request) {
  std::string text = shell_quote(request.scalestudy_program) + " run " +
                     shell_quote(fs::absolute(study.path).string());
  for (const auto* point : job.points) text += " \\\n    --only id=" + point->id;
  return text;
}

}  // namespace

const std::vector<std::pair<std::string_view, std::string_view>>& template_placeholders() {
  static const std::vector<std::pair<std::string_view, std::string_view>> names = {
      {"title", "one line: the study, the script's number and its allocation"},
      {"template", "where the template came from"},
      {"job_name", "a job name the scheduler accepts (study and number)"},
      {"nodes", "nodes of the allocation"},
      {"tasks_per_node", "ranks on the busiest node of any of its points"},
      {"cpus_per_task", "threads of the busiest rank (client_threads, db_threads)"},
      {"cpus_per_node", "tasks_per_node x cpus_per_task, at most a node's CPUs when known"},
      {"walltime", "HH:MM:SS: the points' timeout_s summed, plus a margin"},
      {"log", "the job's own log file (stdout and stderr of the script)"},
      {"directives", "optional directive lines: account, partition or queue, QOS, overcommit"},
      {"points", "comment lines listing the points it runs"},
      {"workdir", "the folder scalestudy jobs ran in (results_dir is relative to it)"},
      {"run", "the scalestudy run command for its points (required)"},
      {"study", "the study file, absolute"},
      {"scalestudy", "the scalestudy program, absolute"},
  };
  return names;
}

std::string render_template(std::string_view text, const std::string& origin,
                            const std::map<std::string, std::string>& values) {
  std::string out;
  bool has_run = false;
  std::size_t line = 1;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find("{{", at);
    const std::size_t end = open == std::string_view::npos ? text.size() : open;
    for (std::size_t i = at; i < end; ++i) line += text[i] == '\n';
    out.append(text.substr(at, end - at));
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw ConfigError(origin + ":" + std::to_string(line) + ": '{{' without its '}}'");
    }
    const std::string name(text.substr(open + 2, close - open - 2));
    const auto it = values.find(name);
    if (it == values.end()) {
      std::string known;
      for (const auto& [placeholder, meaning] : template_placeholders()) {
        known += (known.empty() ? "" : ", ") + std::string(placeholder);
      }
      throw ConfigError(origin + ":" + std::to_string(line) + ": unknown placeholder {{" + name +
                        "}}; a template may use " + known + " (jobs/README.md)");
    }
    has_run = has_run || name == "run";
    at = close + 2;
    // A placeholder alone on its line that becomes nothing (no optional directives) takes its
    // line with it.
    const bool line_start = out.empty() || out.back() == '\n';
    if (it->second.empty() && line_start && at < text.size() && text[at] == '\n') {
      ++at;
      ++line;
      continue;
    }
    out += it->second;
  }
  if (!has_run) {
    throw ConfigError(origin + ": the template has no {{run}}, so its jobs would run nothing");
  }
  return out;
}

std::vector<JobScript> render_job_scripts(const study::Study& study, const Packing& packing,
                                          const Scheduler& scheduler, const JobsRequest& request) {
  std::string origin;
  const std::string text = read_template(study, scheduler, origin);
  const std::string log_dir = fs::absolute(study.study_dir() + "/jobs").string();
  const std::size_t width = std::to_string(packing.jobs.size()).size();
  std::vector<JobScript> scripts;
  int number = 0;
  for (const auto& job : packing.jobs) {
    ++number;
    std::string count = std::to_string(number);
    count.insert(0, width > count.size() ? width - count.size() : 0, '0');
    const std::string stem = count + "-" + std::to_string(job.nodes) + "nodes";
    JobScript script;
    script.path = (fs::path(request.output_dir) / (stem + ".sh")).string();
    script.log = log_dir + "/" + scheduler.log_name(stem);
    script.allocation = job;
    const int cpus_wanted = job.tasks_per_node * job.cpus_per_task;
    const bool overcommit = request.cpus_per_node > 0 && cpus_wanted > request.cpus_per_node;
    std::string directives;
    for (const auto& line : scheduler.directives(request.site, overcommit)) {
      directives += (directives.empty() ? "" : "\n") + line;
    }
    const std::map<std::string, std::string> values = {
        {"title", "scalestudy study " + study.name + ", job " + std::to_string(number) + " of " +
                      std::to_string(packing.jobs.size()) + ": " + std::to_string(job.nodes) +
                      " nodes, " + wall_time_text(job.wall_time_s)},
        {"template", origin},
        {"job_name", scheduler.job_name(study.name, number)},
        {"nodes", std::to_string(job.nodes)},
        {"tasks_per_node", std::to_string(job.tasks_per_node)},
        {"cpus_per_task", std::to_string(job.cpus_per_task)},
        {"cpus_per_node", std::to_string(overcommit ? request.cpus_per_node : cpus_wanted)},
        {"walltime", wall_time_text(job.wall_time_s)},
        {"log", script.log},
        {"directives", directives},
        {"points", points_comment(study, job)},
        {"workdir", shell_quote(request.workdir)},
        {"run", run_command_text(study, job, request)},
        {"study", shell_quote(fs::absolute(study.path).string())},
        {"scalestudy", shell_quote(request.scalestudy_program)},
    };
    script.text = render_template(text, origin, values);
    scripts.push_back(std::move(script));
  }
  return scripts;
}

void write_job_scripts(const std::vector<JobScript>& scripts, const std::string& output_dir) {
  fs::create_directories(output_dir);
  // A study that shrank must not leave the scripts of allocations it no longer has.
  for (const auto& entry : fs::directory_iterator(output_dir)) {
    if (is_script_name(entry.path().filename().string())) fs::remove(entry.path());
  }
  for (const auto& script : scripts) {
    fs::create_directories(fs::path(script.log).parent_path());
    {
      std::ofstream out(script.path, std::ios::trunc);
      out << script.text;
      if (!out) throw Error("cannot write " + script.path);
    }
    fs::permissions(script.path,
                    fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
  }
}

}  // namespace scalestudy::launch
