// PBS Pro / OpenPBS and Torque: #PBS directives, qsub, qstat -f.
#include <cctype>
#include <sstream>

#include "launch/job_templates.hpp"
#include "launch/process.hpp"
#include "launch/scheduler.hpp"

namespace scalestudy::launch {
namespace {

class PbsFamilyScheduler : public Scheduler {
 public:
  std::string_view submit_program() const override { return "qsub"; }

  std::string log_name(const std::string& stem) const override { return stem + ".out"; }

  /// PBS job names: at most 15 characters (Torque, older PBS), starting with a letter.
  std::string job_name(const std::string& study, int number) const override {
    const std::string suffix = "-" + std::to_string(number);
    std::string name;
    for (const char c : study) {
      name += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
    }
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front()))) name = "s" + name;
    return name.substr(0, 15 - std::min<std::size_t>(suffix.size(), 14)) + suffix;
  }

  std::map<std::string, JobState> states(const std::vector<std::string>& ids) const override {
    std::map<std::string, JobState> known;
    if (ids.empty() || find_program("qstat").empty()) return known;
    for (const auto& id : ids) {  // one by one: an unknown id fails the whole call
      std::vector<std::string> command = {"qstat", "-f"};
      if (with_history()) command.push_back("-x");  // PBS Pro: finished jobs too
      command.push_back(id);
      const CommandResult r = run_command(command, 30);
      if (r.exit_status == 0) known.merge(parse_qstat(r.out));
    }
    return known;
  }

 protected:
  std::vector<std::string> submit_command(const std::string& script) const override {
    return {"qsub", script};
  }
  std::string job_id_of(const std::string& output) const override {
    std::istringstream words(output);
    std::string id;
    words >> id;  // "1234.server"
    return !id.empty() && std::isdigit(static_cast<unsigned char>(id.front())) ? id : "";
  }
  std::string_view refusal_hint() const override {
    return "Check the queue (--partition) and account (--account) against `qstat -Q` and your "
           "site's documentation, and that --max-time is within the queue's walltime limit; "
           "`scalestudy jobs` writes the scripts without submitting them.";
  }
  /// Whether qstat takes -x for finished jobs (PBS Pro; Torque's -x is XML output).
  virtual bool with_history() const = 0;
};

class PbsProScheduler final : public PbsFamilyScheduler {
 public:
  std::string_view name() const override { return "pbs"; }
  std::string_view title() const override { return "PBS Pro / OpenPBS"; }
  std::string_view builtin_template() const override { return builtin_job_template("pbs"); }
  std::string_view package_hint() const override {
    return "OpenPBS or PBS Professional client commands; Debian has none";
  }
  std::vector<std::string> directives(const SiteOptions& site, bool /*overcommit*/) const override {
    if (!site.qos.empty()) {
      throw ConfigError("--qos: PBS Pro has no QOS; give the queue with --partition (#PBS -q)");
    }
    std::vector<std::string> lines;
    if (!site.account.empty()) lines.push_back("#PBS -A " + site.account);
    if (!site.partition.empty()) lines.push_back("#PBS -q " + site.partition);
    return lines;
  }

 protected:
  bool with_history() const override { return true; }
};

class TorqueScheduler final : public PbsFamilyScheduler {
 public:
  std::string_view name() const override { return "torque"; }
  std::string_view title() const override { return "Torque"; }
  std::string_view builtin_template() const override { return builtin_job_template("torque"); }
  std::string_view package_hint() const override {
    return "Torque's client commands (torque-client); Debian 12 has none";
  }
  std::vector<std::string> directives(const SiteOptions& site, bool /*overcommit*/) const override {
    std::vector<std::string> lines;
    if (!site.account.empty()) lines.push_back("#PBS -A " + site.account);
    if (!site.partition.empty()) lines.push_back("#PBS -q " + site.partition);
    if (!site.qos.empty()) lines.push_back("#PBS -l qos=" + site.qos);
    return lines;
  }

 protected:
  bool with_history() const override { return false; }
};

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

std::map<std::string, JobState> parse_qstat(const std::string& output) {
  std::map<std::string, JobState> known;
  std::string id;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Job Id:", 0) == 0) {
      id = trimmed(line.substr(7));
      continue;
    }
    const auto equals = line.find('=');
    if (id.empty() || equals == std::string::npos) continue;
    const std::string key = trimmed(line.substr(0, equals));
    const std::string value = trimmed(line.substr(equals + 1));
    if (key == "job_state") {
      JobState& state = known[id];
      state.state = value;
      // Q queued, H held, W waiting, T moving, S suspended, B array begun, R running,
      // E exiting; F finished (PBS Pro), C completed (Torque).
      state.active =
          value.size() == 1 && std::string("QHWTSBRE").find(value[0]) != std::string::npos;
      state.running = value == "R" || value == "E";
    } else if (key == "comment" && known.count(id)) {
      known[id].reason = value;
    }
  }
  return known;
}

std::unique_ptr<Scheduler> make_pbs_scheduler() { return std::make_unique<PbsProScheduler>(); }
std::unique_ptr<Scheduler> make_torque_scheduler() { return std::make_unique<TorqueScheduler>(); }

}  // namespace scalestudy::launch
