// What every scheduler shares: submitting, job names, and picking one by name.
#include "launch/scheduler.hpp"

#include <cctype>

#include "core/parameters.hpp"
#include "launch/process.hpp"

namespace scalestudy::launch {

std::unique_ptr<Scheduler> make_slurm_scheduler();
std::unique_ptr<Scheduler> make_pbs_scheduler();
std::unique_ptr<Scheduler> make_torque_scheduler();

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

}  // namespace

const std::vector<std::string_view>& scheduler_names() {
  static const std::vector<std::string_view> names = {"slurm", "pbs", "torque"};
  return names;
}

std::unique_ptr<Scheduler> make_scheduler(const std::string& name) {
  if (name == "slurm") return make_slurm_scheduler();
  if (name == "pbs") return make_pbs_scheduler();
  if (name == "torque") return make_torque_scheduler();
  const std::string best = core::closest_word(name, scheduler_names());
  throw ConfigError("unknown scheduler '" + name +
                    "': use slurm, pbs (PBS Pro, OpenPBS) or torque" +
                    (best.empty() ? "" : " (did you mean '" + best + "'?)"));
}

std::string Scheduler::job_name(const std::string& study, int number) const {
  return study + "-" + std::to_string(number);
}

PartitionLimits Scheduler::limits(const std::string& partition) const { return {partition}; }

std::string Scheduler::submit(const std::string& script) const {
  const std::string program(submit_program());
  if (find_program(program).empty()) {
    throw ConfigError(program + " is not on PATH: submitting to " + std::string(title()) +
                      " needs its client commands (" + std::string(package_hint()) +
                      "); run on the cluster's login node, or write the scripts with "
                      "'scalestudy jobs' and submit them there");
  }
  const CommandResult result = run_command(submit_command(script));
  const std::string id = result.exit_status == 0 ? job_id_of(result.out) : "";
  if (id.empty()) {
    std::string said = trimmed(result.err.empty() ? result.out : result.err);
    if (said.empty())
      said = "(it printed nothing; exit status " + std::to_string(result.exit_status) + ")";
    throw SubmitError(program + " refused " + script + ":\n  " + said + "\n" +
                      std::string(refusal_hint()));
  }
  return id;
}

}  // namespace scalestudy::launch
