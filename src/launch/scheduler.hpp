// Batch schedulers: how a job script asks for an allocation, how it is submitted, and what the
// scheduler says of a job. Slurm, PBS Pro / OpenPBS and Torque, picked by name.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace scalestudy::launch {

/// What a scheduler says of one job.
struct JobState {
  std::string state;    ///< the scheduler's word: PENDING, RUNNING, COMPLETED, Q, R, F...
  bool active = false;  ///< queued or running: its points may still run
  bool running = false;
  std::string reason;  ///< why it waits (Slurm's reason), "" otherwise
};

/// The options of `scalestudy jobs` and `submit` that become directives.
struct SiteOptions {
  std::string account;
  std::string partition;  ///< Slurm partition, PBS queue
  std::string qos;
};

/// What the scheduler says a partition (queue) offers; 0 where it cannot tell.
struct PartitionLimits {
  std::string name;       ///< the partition asked about, or the default one
  int nodes = 0;          ///< nodes in it
  int cpus_per_node = 0;  ///< CPUs of its smallest node
  double max_time_s = 0;  ///< its wall-time limit
};

/// A submission the scheduler refused, with its own message and what to change.
class SubmitError : public Error {
 public:
  using Error::Error;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view name() const = 0;   ///< slurm, pbs, torque
  virtual std::string_view title() const = 0;  ///< Slurm, PBS Pro / OpenPBS, Torque
  /// The built-in job script template (jobs/<name>.sh, compiled in).
  virtual std::string_view builtin_template() const = 0;
  /// The directive lines for the site options given (account, queue, QOS), and for an
  /// allocation whose ranks need more CPUs than a node has. Throws ConfigError for an option
  /// this scheduler has no directive for.
  virtual std::vector<std::string> directives(const SiteOptions& site, bool overcommit) const = 0;
  /// The job log's file name for a script named `stem` (Slurm adds the job id).
  virtual std::string log_name(const std::string& stem) const = 0;
  /// A job name the scheduler accepts, from the study's name and the script's number.
  virtual std::string job_name(const std::string& study, int number) const;
  /// What `partition` ("" for the default) offers, as far as the scheduler's commands on this
  /// machine tell (nothing where they are missing).
  virtual PartitionLimits limits(const std::string& partition) const;
  /// The program that submits (sbatch, qsub) and the package that has it.
  virtual std::string_view submit_program() const = 0;
  virtual std::string_view package_hint() const = 0;
  /// Submits `script`; returns the job id. Throws ConfigError when the submit program is
  /// missing and SubmitError when the scheduler refuses the script.
  std::string submit(const std::string& script) const;
  /// What the scheduler says of each of `ids` that it still knows (ended jobs drop out after a
  /// while, or at once without accounting).
  virtual std::map<std::string, JobState> states(const std::vector<std::string>& ids) const = 0;

 protected:
  /// The submit command for `script`, and the job id in its output.
  virtual std::vector<std::string> submit_command(const std::string& script) const = 0;
  virtual std::string job_id_of(const std::string& output) const = 0;
  /// What to check when the scheduler refuses a script.
  virtual std::string_view refusal_hint() const = 0;
};

/// The scheduler named `name` (slurm, pbs, torque). Throws ConfigError with a suggestion.
std::unique_ptr<Scheduler> make_scheduler(const std::string& name);

/// Names of every scheduler, for messages and choices.
const std::vector<std::string_view>& scheduler_names();

/// The job states in `qstat -f` output (PBS Pro with -x, Torque without), by job id.
std::map<std::string, JobState> parse_qstat(const std::string& output);

/// The job states in `squeue -h -o "%i|%T|%r"` output, by job id.
std::map<std::string, JobState> parse_squeue(const std::string& output);

}  // namespace scalestudy::launch
