// A study: a YAML file that expands into validated sweep points, each with a stable id.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::study {

/// How each point is launched (the study's `launcher:` section).
struct LauncherSpec {
  std::string kind = "mpirun";    ///< mpirun | srun: the program that starts a point's ranks
  std::string mpirun = "mpirun";  ///< mpirun's program (kind mpirun)
  std::string mpi;                ///< srun --mpi=<value>, e.g. pmix ("": the site's MpiDefault)
  std::vector<std::string> args;  ///< extra arguments, before the program
  std::string hostfile;           ///< "" (this machine, virtual nodes), a path, or "allocation"
  std::string hostfile_origin;    ///< where hostfile was written ("file:line:column")
  std::string map_by;             ///< --map-by value ("" lets scalestudy choose)
  std::string bind_to;            ///< --bind-to value ("" leaves mpirun's default)
  std::string oversubscribe = "auto";                    ///< auto | true | false
  std::vector<std::pair<std::string, std::string>> env;  ///< environment of every rank
  /// Nodes of the allocation to plan for when not inside one (plan, jobs); 0: none given.
  int nodes = 0;
  /// CPUs of each node of the target machine; 0: the allocation's, else this machine's.
  int cpus_per_node = 0;
  std::string scheduler;      ///< slurm | pbs | torque: default of jobs/submit --scheduler
  std::string template_path;  ///< job script template, resolved against the study's folder
  std::string template_origin;

  bool real_nodes() const { return !hostfile.empty(); }
  bool in_allocation() const { return hostfile == "allocation"; }
};

/// How work is divided as clients are added (the study's `scaling:` section).
struct ScalingSpec {
  std::string mode = "none";        ///< none | strong | weak
  std::vector<std::string> divide;  ///< strong: parameters that hold totals over all clients
};

struct StudyPoint {
  std::string id;  ///< stable hash of the resolved parameters and the scalestudy version
  core::Parameters params;
  /// The swept values that make this point, in axis order, as written in the study.
  std::vector<std::pair<std::string, std::string>> varied;
  int world_size = 0;  ///< ranks the point's job needs
};

struct Study {
  std::string path;
  std::string name;
  std::string description;
  LauncherSpec launcher;
  ScalingSpec scaling;
  int repetitions = 1;
  /// Leave out the points whose threads exceed a node's CPUs (this machine's, with virtual
  /// nodes) instead of running them oversubscribed: recorded as skipped, with why.
  bool skip_oversubscribed = false;
  double timeout_s = 600;
  std::string results_dir = "results";
  std::string report_compare;  ///< report.compare: swept key the report compares side by side
  std::vector<std::string> swept_keys;  ///< parameters that vary, in axis order
  std::vector<StudyPoint> points;       ///< after product, zip, exclude and repetitions

  /// results_dir/name
  std::string study_dir() const;
};

/// Reads, validates and expands the study at `path`. Throws ConfigError with
/// "<path>:<line>:<column>: ..." and a suggestion for every mistake it can point at: unknown
/// keys, wrong types, empty axes, zip lists of different lengths, impossible points, a filter
/// that leaves no point. Nothing is launched.
Study load_study(const std::string& path);

/// The same for YAML text in memory; `path` names it in messages.
Study parse_study(const std::string& text, const std::string& path);

/// Id of a point: 16 hex digits of a hash of its resolved parameters (without `output`) and the
/// scalestudy version. The same parameters give the same id on every machine.
std::string point_id(const core::Parameters& params);

/// The swept values that make `point`, as "key=value, key=value" ("" for a study's only point).
std::string varied_text(const StudyPoint& point);

/// Study keys a user may write at the top level, in documentation order.
const std::vector<std::string_view>& study_keys();

}  // namespace scalestudy::study
