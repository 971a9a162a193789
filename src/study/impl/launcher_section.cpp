// The study's `launcher:` section: which launcher, its options, and the allocation to plan for.
#include <filesystem>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "study/impl/study_parser.hpp"

namespace scalestudy::study::detail {
namespace {

const std::vector<std::string_view> kLauncherKeys = {
    "kind",          "mpirun", "mpi",   "args",          "hostfile",  "map_by",  "bind_to",
    "oversubscribe", "env",    "nodes", "cpus_per_node", "scheduler", "template"};

const std::vector<std::string_view> kKinds = {"mpirun", "srun"};
const std::vector<std::string_view> kSchedulers = {"slurm", "pbs", "torque"};

std::string one_of(const Parser& p, const YAML::Node& node, const std::string& what,
                   const std::vector<std::string_view>& choices) {
  const std::string value = p.scalar(node, what);
  for (const auto& choice : choices) {
    if (value == choice) return value;
  }
  std::string list;
  for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + std::string(choice);
  p.fail(node, what + " must be one of " + list + ", got '" + value + "'" +
                   Parser::suggestion(value, choices));
}

/// Options that belong to the other launcher, refused with what to write instead.
void check_kind(const Parser& p, const std::map<std::string, YAML::Node>& given,
                LauncherSpec& launcher) {
  const auto refuse = [&](const std::string& key, const std::string& why) {
    const auto it = given.find(key);
    if (it != given.end()) p.fail(it->second, why);
  };
  if (launcher.kind == "srun") {
    refuse("mpirun", "launcher.mpirun is mpirun's program; with kind: srun remove it");
    refuse("map_by",
           "launcher.map_by is an mpirun option; srun places ranks itself (give srun's own "
           "options in launcher.args, e.g. [--distribution=cyclic])");
    refuse("bind_to",
           "launcher.bind_to is an mpirun option; with srun write launcher.args: "
           "[--cpu-bind=...] (it replaces scalestudy's --cpu-bind)");
    if (launcher.hostfile.empty()) {
      launcher.hostfile = "allocation";  // srun starts ranks on the nodes of its allocation
    } else if (launcher.hostfile != "allocation") {
      p.fail(given.at("hostfile"),
             "srun places ranks on the nodes of its Slurm allocation, not a hostfile; remove "
             "launcher.hostfile, or use kind: mpirun");
    }
  } else {
    refuse("mpi",
           "launcher.mpi is srun's --mpi; mpirun starts its ranks itself (use kind: srun, or "
           "remove it)");
  }
}

}  // namespace

void parse_launcher(Parser& p, const YAML::Node& node, LauncherSpec& launcher) {
  std::map<std::string, YAML::Node> given;
  for (const auto& entry : p.mapping(node, "launcher")) {
    const std::string sub = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    given[sub] = value;
    if (sub == "kind") {
      launcher.kind = one_of(p, value, "launcher.kind", kKinds);
    } else if (sub == "mpirun") {
      launcher.mpirun = p.scalar(value, "launcher.mpirun");
      if (std::filesystem::path(launcher.mpirun).filename() == "srun") {
        p.fail(value,
               "launcher.mpirun names srun, which is a launcher of its own with its own "
               "options: write launcher.kind: srun (and launcher.mpi: pmix for Open MPI)");
      }
    } else if (sub == "mpi") {
      launcher.mpi = p.scalar(value, "launcher.mpi");
    } else if (sub == "args") {
      if (value.IsScalar()) {
        std::istringstream words(value.Scalar());
        for (std::string word; words >> word;) launcher.args.push_back(word);
      } else if (value.IsSequence()) {
        for (const auto& arg : value) launcher.args.push_back(p.scalar(arg, "launcher.args"));
      } else {
        p.fail(value, "launcher.args must be a list of arguments");
      }
    } else if (sub == "hostfile") {
      launcher.hostfile = p.scalar(value, "launcher.hostfile");
      launcher.hostfile_origin = p.where(value);
    } else if (sub == "map_by") {
      launcher.map_by = p.scalar(value, "launcher.map_by");
    } else if (sub == "bind_to") {
      launcher.bind_to = p.scalar(value, "launcher.bind_to");
    } else if (sub == "oversubscribe") {
      launcher.oversubscribe =
          one_of(p, value, "launcher.oversubscribe", {"auto", "true", "false"});
    } else if (sub == "env") {
      for (const auto& var : p.mapping(value, "launcher.env")) {
        launcher.env.emplace_back(var.first.Scalar(),
                                  p.scalar(var.second, "launcher.env." + var.first.Scalar()));
      }
    } else if (sub == "nodes") {
      launcher.nodes = static_cast<int>(p.integer(value, "launcher.nodes", 1, 1 << 24));
    } else if (sub == "cpus_per_node") {
      launcher.cpus_per_node =
          static_cast<int>(p.integer(value, "launcher.cpus_per_node", 1, 1 << 20));
    } else if (sub == "scheduler") {
      launcher.scheduler = one_of(p, value, "launcher.scheduler", kSchedulers);
    } else if (sub == "template") {
      const std::filesystem::path written = p.scalar(value, "launcher.template");
      const std::filesystem::path folder = std::filesystem::path(p.path()).parent_path();
      launcher.template_path = (written.is_absolute() ? written : folder / written).string();
      launcher.template_origin = p.where(value);
      if (!std::filesystem::is_regular_file(launcher.template_path)) {
        p.fail(value, "launcher.template: no file '" + launcher.template_path +
                          "' (a relative path is read from the study's folder; jobs/ holds "
                          "templates to copy)");
      }
    } else {
      p.fail(entry.first,
             "unknown launcher key '" + sub + "'" + Parser::suggestion(sub, kLauncherKeys));
    }
  }
  check_kind(p, given, launcher);
}

}  // namespace scalestudy::study::detail
