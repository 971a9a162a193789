// Study files: reading the top level, handing each key to its section, expanding into points.
#include "study/study.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/fnv1a.hpp"
#include "study/impl/study_parser.hpp"

namespace scalestudy::study {
namespace {

/// Top-level shorthands for parameters.
const std::set<std::string_view> kShorthands = {"workload", "backend", "deployment", "warmup",
                                                "iterations"};

std::string lower_hex(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

/// Checks that need the whole file: a name, and that what report.compare and scaling.divide
/// name is set.
void check_whole_file(const detail::Parser& p, const Study& study, bool has_name) {
  if (!study.report_compare.empty() && !p.claimed(study.report_compare)) {
    throw ConfigError(p.path() + ": report.compare names '" + study.report_compare +
                      "', which the study does not sweep");
  }
  if (!has_name) {
    throw ConfigError(p.path() + ":1:1: a study needs a 'name' (it names results/<name>/)");
  }
  for (const auto& key : study.scaling.divide) {
    if (!p.claimed(key)) {
      throw ConfigError(p.path() + ": scaling.divide names '" + key +
                        "', which the study does not set; give its total under parameters or "
                        "sweep");
    }
  }
}

}  // namespace

const std::vector<std::string_view>& study_keys() {
  static const std::vector<std::string_view> keys = {
      "name",       "description", "workload", "backend",     "deployment",  "parameters",
      "sweep",      "zip",         "exclude",  "scaling",     "repetitions", "warmup",
      "iterations", "timeout_s",   "launcher", "results_dir", "report",      "skip_oversubscribed"};
  return keys;
}

std::string varied_text(const StudyPoint& point) {
  std::string out;
  for (const auto& [key, value] : point.varied) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value;
  }
  return out;
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
  detail::Parser p(path);
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
  detail::StudyDraft draft;
  bool has_name = false;
  for (const auto& item : root) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& node = item.second;
    const std::string key = key_node.Scalar();
    if (std::find(study_keys().begin(), study_keys().end(), key) == study_keys().end()) {
      p.fail(key_node,
             "unknown study key '" + key + "'" + detail::Parser::suggestion(key, study_keys()) +
                 (core::find_parameter(key) ? "; point parameters go under 'parameters:'" : ""));
    }
    if (kShorthands.count(key)) {
      const core::ParamSpec& spec = p.parameter(key_node, "the study");
      p.claim(key_node, "top level");
      p.value(spec, node);
      draft.base.set(key, node.Scalar(), p.where(node));
    } else if (key == "name") {
      detail::parse_name(p, node, study);
      has_name = true;
    } else if (key == "description") {
      study.description = p.scalar(node, "description");
    } else if (key == "parameters") {
      detail::parse_parameters(p, node, draft);
    } else if (key == "sweep") {
      detail::parse_sweep(p, node, draft);
    } else if (key == "zip") {
      detail::parse_zip(p, node, draft);
    } else if (key == "exclude") {
      detail::parse_exclude(p, node, draft);
    } else if (key == "scaling") {
      detail::parse_scaling(p, node, study, draft);
    } else if (key == "repetitions") {
      study.repetitions = static_cast<int>(p.integer(node, "repetitions", 1, 1000000));
    } else if (key == "skip_oversubscribed") {
      study.skip_oversubscribed = std::get<bool>(p.value(
          core::ParamSpec{"skip_oversubscribed", core::ParamType::Boolean, "false", "", "", {}},
          node));
    } else if (key == "timeout_s") {
      study.timeout_s = std::get<double>(p.value(
          core::ParamSpec{"timeout_s", core::ParamType::Real, "600", "", "", {}, 1e-3, 1e9}, node));
    } else if (key == "report") {
      detail::parse_report(p, node, study);
    } else if (key == "results_dir") {
      study.results_dir = p.scalar(node, "results_dir");
      if (study.results_dir.empty()) p.fail(node, "results_dir must not be empty");
    } else if (key == "launcher") {
      detail::parse_launcher(p, node, study.launcher);
    }
  }
  check_whole_file(p, study, has_name);
  detail::expand_points(p, draft, study);
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
