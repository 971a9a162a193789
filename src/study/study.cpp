// Study files: parsing with positions, validation, and expansion into points.
#include "study/study.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/build_info.hpp"
#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/fnv1a.hpp"
#include "core/layout.hpp"

namespace scalestudy::study {
namespace {

/// Keys the study owns on every point; users may not set them.
const std::set<std::string_view> kManagedKeys = {"output", "repetition"};

/// Top-level shorthands for parameters.
const std::set<std::string_view> kShorthands = {"workload", "backend", "deployment", "warmup",
                                                "iterations"};

const std::vector<std::string_view> kLauncherKeys = {
    "mpirun", "args", "hostfile", "map_by", "bind_to", "oversubscribe", "env"};
const std::vector<std::string_view> kScalingKeys = {"mode", "divide"};

/// A value as written, with where it was written.
struct Located {
  std::string text;
  std::string where;
};

/// One sweep axis: one key (sweep) or several that vary together (zip).
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<Located>> values;  ///< values[k][i]: key k, position i
  std::size_t size() const { return values.front().size(); }
};

struct ExcludeRule {
  std::string where;
  std::vector<std::pair<std::string, std::vector<core::ParamValue>>> matches;
};

class Parser {
 public:
  Parser(std::string path) : path_(std::move(path)) {}

  std::string where(const YAML::Mark& mark) const {
    if (mark.is_null()) return path_;
    return path_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  std::string where(const YAML::Node& node) const { return where(node.Mark()); }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw ConfigError(where(node) + ": " + message);
  }

  static std::string suggestion(std::string_view word,
                                const std::vector<std::string_view>& candidates) {
    const std::string best = core::closest_word(word, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, what + " must be a single value, not " + kind(node));
    return node.Scalar();
  }

  static std::string kind(const YAML::Node& node) {
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    if (node.IsNull()) return "empty";
    return "a value";
  }

  const YAML::Node& mapping(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap())
      fail(node, what + " must be a mapping of key: value lines, not " + kind(node));
    return node;
  }

  /// A point parameter named by a study key, with a suggestion when unknown.
  const core::ParamSpec& parameter(const YAML::Node& key_node, const std::string& section) const {
    const std::string key = key_node.Scalar();
    if (kManagedKeys.count(key)) {
      fail(key_node, "'" + key + "' is set by scalestudy for every point; remove it from " +
                         section + (key == "repetition" ? " (use repetitions: N)" : ""));
    }
    const core::ParamSpec* spec = core::find_parameter(key);
    if (spec == nullptr) {
      std::string message = "unknown parameter '" + key + "' in " + section;
      const std::string best = core::closest_parameter(key);
      message += best.empty() ? " (scalestudy-rank --help lists every parameter)"
                              : " (did you mean '" + best + "'?)";
      fail(key_node, message);
    }
    return *spec;
  }

  /// Checks `text` is a valid value of `spec`; fails at `node` otherwise.
  core::ParamValue value(const core::ParamSpec& spec, const YAML::Node& node) const {
    const std::string text = scalar(node, std::string(spec.name));
    try {
      return core::parse_value(spec, text);
    } catch (const ConfigError& error) {
      fail(node, std::string(spec.name) + ": " + error.what());
    }
  }

  /// Remembers where each parameter is first given, refusing a second place.
  void claim(const YAML::Node& key_node, const std::string& section) {
    const std::string key = key_node.Scalar();
    const auto [it, inserted] = claimed_.emplace(key, where(key_node) + " (" + section + ")");
    if (!inserted) {
      fail(key_node, "'" + key + "' is already given at " + it->second +
                         "; a parameter is either fixed, swept or zipped, once");
    }
  }

  std::string path_;
  std::map<std::string, std::string> claimed_;
};

std::string lower_hex(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::string describe(const std::vector<std::pair<std::string, std::string>>& varied) {
  std::string out;
  for (const auto& [key, value] : varied) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value;
  }
  return out.empty() ? "the only point" : out;
}

bool rule_matches(const ExcludeRule& rule, const core::Parameters& params) {
  for (const auto& [key, values] : rule.matches) {
    const core::ParamValue& actual = params.entry(key).value;
    if (std::find(values.begin(), values.end(), actual) == values.end()) return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string_view>& study_keys() {
  static const std::vector<std::string_view> keys = {
      "name",       "description", "workload", "backend",     "deployment",  "parameters",
      "sweep",      "zip",         "exclude",  "scaling",     "repetitions", "warmup",
      "iterations", "timeout_s",   "launcher", "results_dir", "report"};
  return keys;
}

std::string Study::study_dir() const { return results_dir + "/" + name; }

std::string point_id(const core::Parameters& params) {
  std::string canonical;
  std::istringstream lines(params.to_yaml());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("output:", 0) == 0) continue;  // where results go is not what was measured
    canonical += line + '\n';
  }
  canonical += std::string("scalestudy ") + core::build_info().version + '\n';
  return lower_hex(core::fnv1a(canonical));
}

Study parse_study(const std::string& text, const std::string& path) {
  Parser p(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& error) {
    throw ConfigError(p.where(error.mark) + ": YAML syntax error: " + error.msg);
  }
  if (!root.IsMap()) {
    throw ConfigError(path +
                      ":1:1: a study is a mapping with at least 'name' and 'sweep' or "
                      "'parameters' (see docs/studies.md)");
  }

  Study study;
  study.path = path;
  core::Parameters base;
  std::vector<Axis> axes;
  std::vector<ExcludeRule> rules;
  YAML::Node exclude_node;
  bool has_name = false;
  std::string strong_without_divide;  // where `scaling: strong` was written without `divide`

  for (const auto& item : root) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& node = item.second;
    const std::string key = key_node.Scalar();
    if (std::find(study_keys().begin(), study_keys().end(), key) == study_keys().end()) {
      p.fail(key_node,
             "unknown study key '" + key + "'" + Parser::suggestion(key, study_keys()) +
                 (core::find_parameter(key) ? "; point parameters go under 'parameters:'" : ""));
    }
    if (kShorthands.count(key)) {
      const core::ParamSpec& spec = p.parameter(key_node, "the study");
      p.claim(key_node, "top level");
      p.value(spec, node);
      base.set(key, node.Scalar(), p.where(node));
    } else if (key == "name") {
      study.name = p.scalar(node, "name");
      const bool valid =
          !study.name.empty() && std::all_of(study.name.begin(), study.name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
          });
      if (!valid || study.name == "." || study.name == "..") {
        p.fail(node, "name '" + study.name +
                         "' must be letters, digits, '_', '-' or '.' (it "
                         "names the results directory)");
      }
      has_name = true;
    } else if (key == "description") {
      study.description = p.scalar(node, "description");
    } else if (key == "parameters") {
      for (const auto& entry : p.mapping(node, "parameters")) {
        const core::ParamSpec& spec = p.parameter(entry.first, "parameters");
        p.claim(entry.first, "parameters");
        p.value(spec, entry.second);
        base.set(spec.name, entry.second.Scalar(), p.where(entry.second));
      }
    } else if (key == "sweep") {
      for (const auto& entry : p.mapping(node, "sweep")) {
        const core::ParamSpec& spec = p.parameter(entry.first, "sweep");
        p.claim(entry.first, "sweep");
        const YAML::Node& list = entry.second;
        if (!list.IsSequence()) {
          p.fail(list, "sweep axis '" + std::string(spec.name) + "' must be a list such as [" +
                           (list.IsScalar() ? list.Scalar() : "a, b") +
                           "]; a single value belongs in 'parameters'");
        }
        if (list.size() == 0) {
          p.fail(list, "sweep axis '" + std::string(spec.name) +
                           "' is empty: give at least one value, or remove it");
        }
        Axis axis;
        axis.keys.push_back(std::string(spec.name));
        axis.values.emplace_back();
        for (const auto& element : list) {
          p.value(spec, element);
          axis.values.back().push_back({element.Scalar(), p.where(element)});
        }
        axes.push_back(std::move(axis));
      }
    } else if (key == "zip") {
      if (!node.IsSequence()) {
        p.fail(node, "zip must be a list of groups, each a mapping of lists that vary together");
      }
      for (const auto& group : node) {
        p.mapping(group, "a zip group");
        Axis axis;
        YAML::Node first_list;
        for (const auto& entry : group) {
          const core::ParamSpec& spec = p.parameter(entry.first, "zip");
          p.claim(entry.first, "zip");
          const YAML::Node& list = entry.second;
          if (!list.IsSequence() || list.size() == 0) {
            p.fail(list, "zip list '" + std::string(spec.name) + "' must be a non-empty list");
          }
          if (!axis.keys.empty() && list.size() != axis.size()) {
            p.fail(list, "zip lists must have the same length: '" + std::string(spec.name) +
                             "' has " + std::to_string(list.size()) + " values but '" +
                             axis.keys.front() + "' (" + p.where(first_list) + ") has " +
                             std::to_string(axis.size()));
          }
          if (axis.keys.empty()) first_list = list;
          axis.keys.push_back(std::string(spec.name));
          axis.values.emplace_back();
          for (const auto& element : list) {
            p.value(spec, element);
            axis.values.back().push_back({element.Scalar(), p.where(element)});
          }
        }
        if (axis.keys.empty()) p.fail(group, "zip group is empty");
        axes.push_back(std::move(axis));
      }
    } else if (key == "exclude") {
      exclude_node = node;
      if (!node.IsSequence()) {
        p.fail(node,
               "exclude must be a list of rules such as {deployment: colocated, "
               "db_nodes: 2}");
      }
      for (const auto& rule_node : node) {
        p.mapping(rule_node, "an exclude rule");
        ExcludeRule rule;
        rule.where = p.where(rule_node);
        for (const auto& entry : rule_node) {
          const core::ParamSpec& spec = p.parameter(entry.first, "exclude");
          std::vector<core::ParamValue> values;
          if (entry.second.IsSequence()) {
            for (const auto& element : entry.second) values.push_back(p.value(spec, element));
          } else {
            values.push_back(p.value(spec, entry.second));
          }
          rule.matches.emplace_back(std::string(spec.name), std::move(values));
        }
        rules.push_back(std::move(rule));
      }
    } else if (key == "scaling") {
      std::vector<std::string_view> modes = {"none", "strong", "weak"};
      if (node.IsScalar()) {
        study.scaling.mode = node.Scalar();
      } else {
        for (const auto& entry : p.mapping(node, "scaling")) {
          const std::string sub = entry.first.Scalar();
          if (sub == "mode") {
            study.scaling.mode = p.scalar(entry.second, "scaling.mode");
          } else if (sub == "divide") {
            const YAML::Node& list = entry.second;
            const auto add = [&](const YAML::Node& element) {
              const core::ParamSpec& spec = p.parameter(element, "scaling.divide");
              if (spec.type != core::ParamType::Integer && spec.type != core::ParamType::Bytes) {
                p.fail(element, "scaling.divide: '" + std::string(spec.name) +
                                    "' is not a count and cannot be divided over clients");
              }
              study.scaling.divide.push_back(std::string(spec.name));
            };
            if (list.IsSequence()) {
              for (const auto& element : list) add(element);
            } else {
              add(list);
            }
          } else {
            p.fail(entry.first,
                   "unknown scaling key '" + sub + "'" + Parser::suggestion(sub, kScalingKeys));
          }
        }
      }
      if (std::find(modes.begin(), modes.end(), study.scaling.mode) == modes.end()) {
        p.fail(node, "scaling mode '" + study.scaling.mode + "' is not one of none, strong, weak" +
                         Parser::suggestion(study.scaling.mode, modes));
      }
      if (study.scaling.mode != "strong" && !study.scaling.divide.empty()) {
        p.fail(node,
               "scaling.divide applies to strong scaling only (weak scaling keeps the work "
               "per client fixed)");
      }
      // Unless every point fixes its own total (checked once the points are known).
      if (study.scaling.mode == "strong" && study.scaling.divide.empty()) {
        strong_without_divide = p.where(node);
      }
    } else if (key == "repetitions") {
      study.repetitions = static_cast<int>(std::get<std::int64_t>(
          p.value(core::ParamSpec{"repetitions", core::ParamType::Integer, "1", "", "", {}, 1, 1e6},
                  node)));
    } else if (key == "timeout_s") {
      study.timeout_s = std::get<double>(p.value(
          core::ParamSpec{"timeout_s", core::ParamType::Real, "600", "", "", {}, 1e-3, 1e9}, node));
    } else if (key == "report") {
      for (const auto& entry : p.mapping(node, "report")) {
        const std::string sub = entry.first.Scalar();
        if (sub != "compare") {
          p.fail(entry.first,
                 "unknown report key '" + sub + "'" + Parser::suggestion(sub, {"compare"}));
        }
        study.report_compare = p.scalar(entry.second, "report.compare");
        if (!core::find_parameter(study.report_compare)) {
          p.fail(entry.second,
                 "report.compare: '" + study.report_compare + "' is not a parameter" +
                     (core::closest_parameter(study.report_compare).empty()
                          ? ""
                          : " (did you mean '" + core::closest_parameter(study.report_compare) +
                                "'?)"));
        }
      }
    } else if (key == "results_dir") {
      study.results_dir = p.scalar(node, "results_dir");
      if (study.results_dir.empty()) p.fail(node, "results_dir must not be empty");
    } else if (key == "launcher") {
      for (const auto& entry : p.mapping(node, "launcher")) {
        const std::string sub = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        if (sub == "mpirun") {
          study.launcher.mpirun = p.scalar(value, "launcher.mpirun");
        } else if (sub == "args") {
          if (value.IsScalar()) {
            std::istringstream words(value.Scalar());
            for (std::string word; words >> word;) study.launcher.args.push_back(word);
          } else if (value.IsSequence()) {
            for (const auto& arg : value) {
              study.launcher.args.push_back(p.scalar(arg, "launcher.args"));
            }
          } else {
            p.fail(value, "launcher.args must be a list of arguments");
          }
        } else if (sub == "hostfile") {
          study.launcher.hostfile = p.scalar(value, "launcher.hostfile");
          study.launcher.hostfile_origin = p.where(value);
        } else if (sub == "map_by") {
          study.launcher.map_by = p.scalar(value, "launcher.map_by");
        } else if (sub == "bind_to") {
          study.launcher.bind_to = p.scalar(value, "launcher.bind_to");
        } else if (sub == "oversubscribe") {
          const std::string v = p.scalar(value, "launcher.oversubscribe");
          if (v != "auto" && v != "true" && v != "false") {
            p.fail(value, "launcher.oversubscribe must be auto, true or false, got '" + v + "'");
          }
          study.launcher.oversubscribe = v;
        } else if (sub == "env") {
          for (const auto& var : p.mapping(value, "launcher.env")) {
            study.launcher.env.emplace_back(
                var.first.Scalar(), p.scalar(var.second, "launcher.env." + var.first.Scalar()));
          }
        } else {
          p.fail(entry.first,
                 "unknown launcher key '" + sub + "'" + Parser::suggestion(sub, kLauncherKeys));
        }
      }
    }
  }
  if (!study.report_compare.empty() && !p.claimed_.count(study.report_compare)) {
    throw ConfigError(path + ": report.compare names '" + study.report_compare +
                      "', which the study does not sweep");
  }
  if (!has_name) {
    throw ConfigError(path + ":1:1: a study needs a 'name' (it names results/<name>/)");
  }
  for (const auto& key : study.scaling.divide) {
    if (!p.claimed_.count(key)) {
      throw ConfigError(path + ": scaling.divide names '" + key +
                        "', which the study does not set; give its total under parameters or "
                        "sweep");
    }
  }

  // The cartesian product of the axes, first axis outermost.
  for (const auto& axis : axes) {
    for (const auto& key : axis.keys) study.swept_keys.push_back(key);
  }
  std::vector<std::size_t> position(axes.size(), 0);
  std::size_t expanded = 0;
  const bool virtual_nodes = study.launcher.hostfile.empty();
  for (bool more = true; more;) {
    ++expanded;
    StudyPoint point;
    point.params = base;
    std::string last_origin = path;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      for (std::size_t k = 0; k < axes[a].keys.size(); ++k) {
        const Located& v = axes[a].values[k][position[a]];
        point.params.set(axes[a].keys[k], v.text, v.where);
        point.varied.emplace_back(axes[a].keys[k], v.text);
        last_origin = v.where;
      }
    }
    const bool excluded = std::any_of(rules.begin(), rules.end(), [&](const ExcludeRule& rule) {
      return rule_matches(rule, point.params);
    });
    if (!excluded) {
      const auto& params = point.params;
      const std::string label = "point (" + describe(point.varied) + ")";
      const auto ranks_per_node = params.integer("ranks_per_node");
      const auto client_nodes = params.integer("client_nodes");
      if (ranks_per_node < 1 || client_nodes < 1) {
        throw ConfigError(last_origin + ": " + label +
                          ": a study must set client_nodes and "
                          "ranks_per_node (both at least 1) so that each point's job can be sized");
      }
      // Strong scaling: the divided parameters hold totals; each client gets its share.
      const std::int64_t clients = client_nodes * ranks_per_node;
      for (const auto& key : study.scaling.divide) {
        const std::int64_t total = params.integer(key);
        if (total % clients != 0 || total / clients < 1) {
          throw ConfigError(params.entry(key).origin + ": " + label + ": " + key + "=" +
                            std::to_string(total) +
                            " (the total of strong scaling) does not "
                            "split evenly over " +
                            std::to_string(clients) +
                            " clients; use a "
                            "multiple of " +
                            std::to_string(clients));
        }
        point.params.set(key, std::to_string(total / clients), params.entry(key).origin);
      }
      core::LayoutRequest request = core::layout_request(params);
      request.virtual_nodes = virtual_nodes;
      request.world_size = core::expected_world_size(request);
      if (virtual_nodes) {
        try {
          core::plan_layout(request);
        } catch (const ConfigError& error) {
          throw ConfigError(last_origin + ": " + label + " cannot run: " + error.what());
        }
      } else if (request.deployment == core::Deployment::Colocated && request.db_nodes != 1) {
        throw ConfigError(params.entry("db_nodes").origin + ": " + label +
                          ": colocated deployment puts database ranks on every client node; "
                          "remove db_nodes");
      }
      point.world_size = request.world_size;
      point.params.set("node_mode", virtual_nodes ? "virtual" : "real", path);
      for (int r = 0; r < study.repetitions; ++r) {
        StudyPoint repeated = point;
        repeated.params.set("repetition", std::to_string(r), path);
        if (study.repetitions > 1) repeated.varied.emplace_back("repetition", std::to_string(r));
        repeated.id = point_id(repeated.params);
        study.points.push_back(std::move(repeated));
      }
    }
    // Next combination, like an odometer: the last axis turns fastest.
    more = false;
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++position[a] < axes[a].size()) {
        more = true;
        break;
      }
      position[a] = 0;
    }
  }
  if (study.points.empty()) {
    throw ConfigError(p.where(exclude_node) + ": exclude drops all " + std::to_string(expanded) +
                      " points of the sweep; nothing would run");
  }
  // A simulation with a fixed grid_points divides that grid over its clients itself.
  if (!strong_without_divide.empty() &&
      !std::all_of(study.points.begin(), study.points.end(),
                   [](const StudyPoint& point) { return core::divides_own_work(point.params); })) {
    throw ConfigError(strong_without_divide +
                      ": strong scaling needs 'divide': the parameters that hold the total work, "
                      "split over the clients (e.g. divide: [iterations]); only a simulation "
                      "with a fixed grid_points divides its grid by itself");
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto [it, inserted] = seen.emplace(study.points[i].id, i);
    if (!inserted) {
      throw ConfigError(path + ": points " + std::to_string(it->second + 1) + " (" +
                        describe(study.points[it->second].varied) + ") and " +
                        std::to_string(i + 1) + " (" + describe(study.points[i].varied) +
                        ") are the same point; remove the repeated value from the sweep (use "
                        "repetitions: N to repeat points)");
    }
  }
  return study;
}

Study load_study(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read study file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_study(text.str(), path);
}

}  // namespace scalestudy::study
