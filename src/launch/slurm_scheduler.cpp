// Slurm: #SBATCH directives, sbatch --parsable, squeue (and sacct where accounting runs).
#include <sstream>

#include "launch/job_packing.hpp"
#include "launch/job_templates.hpp"
#include "launch/process.hpp"
#include "launch/scheduler.hpp"

namespace scalestudy::launch {
namespace {

/// States in which a job may still run its points.
bool is_active(const std::string& state) {
  return state == "PENDING" || state == "RUNNING" || state == "CONFIGURING" ||
         state == "COMPLETING" || state == "REQUEUED" || state == "RESIZING" ||
         state == "SUSPENDED" || state == "REQUEUE_HOLD" || state == "REQUEUE_FED";
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

class SlurmScheduler final : public Scheduler {
 public:
  std::string_view name() const override { return "slurm"; }
  std::string_view title() const override { return "Slurm"; }
  std::string_view builtin_template() const override { return builtin_job_template("slurm"); }
  std::string_view submit_program() const override { return "sbatch"; }
  std::string_view package_hint() const override {
    return "Debian and Ubuntu: slurm-client; RHEL: slurm";
  }

  std::vector<std::string> directives(const SiteOptions& site, bool overcommit) const override {
    std::vector<std::string> lines;
    if (!site.account.empty()) lines.push_back("#SBATCH --account=" + site.account);
    if (!site.partition.empty()) lines.push_back("#SBATCH --partition=" + site.partition);
    if (!site.qos.empty()) lines.push_back("#SBATCH --qos=" + site.qos);
    // Points whose ranks need more CPUs than a node has (oversubscribed on purpose).
    if (overcommit) lines.push_back("#SBATCH --overcommit");
    return lines;
  }

  std::string log_name(const std::string& stem) const override { return stem + "-%j.out"; }

  PartitionLimits limits(const std::string& partition) const override {
    PartitionLimits limits{partition};
    if (find_program("sinfo").empty()) return limits;
    const CommandResult result = run_command({"sinfo", "--noheader", "--format=%P|%D|%c|%l"}, 20);
    if (result.exit_status != 0) return limits;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string name, nodes, cpus, time;
      std::getline(fields, name, '|');
      std::getline(fields, nodes, '|');
      std::getline(fields, cpus, '|');
      std::getline(fields, time, '|');
      const bool is_default = !name.empty() && name.back() == '*';
      if (is_default) name.pop_back();
      if (partition.empty() ? !is_default : name != partition) continue;
      limits.name = name;
      limits.nodes += std::atoi(nodes.c_str());  // one line per node state
      const int node_cpus = std::atoi(cpus.c_str());
      if (node_cpus > 0 && (limits.cpus_per_node == 0 || node_cpus < limits.cpus_per_node)) {
        limits.cpus_per_node = node_cpus;
      }
      if (time != "infinite" && time != "UNLIMITED" && !time.empty()) {
        try {
          limits.max_time_s = parse_wall_time(time, "partition time limit");
        } catch (const ConfigError&) {
          // A form sinfo may print that we do not read: no limit known.
        }
      }
    }
    return limits;
  }

  std::map<std::string, JobState> states(const std::vector<std::string>& ids) const override {
    std::map<std::string, JobState> known;
    if (ids.empty() || find_program("squeue").empty()) return known;
    // --states=all keeps jobs that ended within MinJobAge; an id Slurm forgot makes squeue
    // fail when it is the only one asked for, so ask one by one then.
    const auto ask = [&](const std::string& list) {
      const CommandResult r = run_command(
          {"squeue", "--noheader", "--states=all", "--jobs=" + list, "--format=%i|%T|%r"}, 30);
      if (r.exit_status == 0) known.merge(parse_squeue(r.out));
      return r.exit_status == 0;
    };
    if (!ask(joined(ids))) {
      for (const auto& id : ids) ask(id);
    }
    std::vector<std::string> missing;
    for (const auto& id : ids) {
      if (!known.count(id)) missing.push_back(id);
    }
    if (!missing.empty() && !find_program("sacct").empty()) {
      // Ended long ago: only accounting remembers (it fails harmlessly without it).
      const CommandResult r = run_command({"sacct", "--noheader", "--parsable2", "--allocations",
                                           "--jobs=" + joined(missing), "--format=JobID,State"},
                                          30);
      if (r.exit_status == 0) {
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
          const auto bar = line.find('|');
          if (bar == std::string::npos) continue;
          JobState state;
          state.state = line.substr(bar + 1);
          state.state = state.state.substr(0, state.state.find(' '));  // "CANCELLED by 0"
          state.active = is_active(state.state);
          state.running = state.state == "RUNNING";
          known.emplace(line.substr(0, bar), state);
        }
      }
    }
    return known;
  }

 protected:
  std::vector<std::string> submit_command(const std::string& script) const override {
    return {"sbatch", "--parsable", script};
  }
  std::string job_id_of(const std::string& output) const override {
    // "12" or "12;cluster"
    std::string id = output.substr(0, output.find_first_of(";\n"));
    return id.find_first_not_of("0123456789_") == std::string::npos ? id : "";
  }
  std::string_view refusal_hint() const override {
    return "Check --partition, --account and --qos against what `sinfo -s` and `sacctmgr show "
           "assoc user=$USER` list, and that --max-time is within the partition's limit; "
           "`scalestudy jobs` writes the scripts without submitting them.";
  }
};

}  // namespace

std::map<std::string, JobState> parse_squeue(const std::string& output) {
  std::map<std::string, JobState> known;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find('|');
    const auto second = line.find('|', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    JobState state;
    state.state = line.substr(first + 1, second - first - 1);
    state.reason = line.substr(second + 1);
    if (state.reason == "None") state.reason.clear();
    state.active = is_active(state.state);
    state.running = state.state == "RUNNING" || state.state == "COMPLETING";
    known.emplace(line.substr(0, first), state);
  }
  return known;
}

std::unique_ptr<Scheduler> make_slurm_scheduler() { return std::make_unique<SlurmScheduler>(); }

}  // namespace scalestudy::launch
