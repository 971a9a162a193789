// Reading a study's YAML with positions: the checks every section of the file shares.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/parameters.hpp"
#include "study/study.hpp"

namespace scalestudy::study::detail {

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

/// What the sections of a study file give before it expands into points.
struct StudyDraft {
  core::Parameters base;  ///< fixed parameters
  std::vector<Axis> axes;
  std::vector<ExcludeRule> rules;
  YAML::Node exclude_node;
  std::string strong_without_divide;  ///< where `scaling: strong` was written without `divide`
};

/// Positions, messages and the checks every section shares. Every failure throws ConfigError
/// "<path>:<line>:<column>: ...".
class Parser {
 public:
  explicit Parser(std::string path) : path_(std::move(path)) {}

  std::string where(const YAML::Mark& mark) const;
  std::string where(const YAML::Node& node) const { return where(node.Mark()); }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

  /// " (did you mean 'x'?)" for the closest candidate, "" when none is close.
  static std::string suggestion(std::string_view word,
                                const std::vector<std::string_view>& candidates);

  std::string scalar(const YAML::Node& node, const std::string& what) const;
  const YAML::Node& mapping(const YAML::Node& node, const std::string& what) const;

  /// A point parameter named by a study key, with a suggestion when unknown.
  const core::ParamSpec& parameter(const YAML::Node& key_node, const std::string& section) const;

  /// Checks `node` holds a valid value of `spec`; fails at `node` otherwise.
  core::ParamValue value(const core::ParamSpec& spec, const YAML::Node& node) const;

  /// An integer in [min, max] for a study key that is not a point parameter.
  std::int64_t integer(const YAML::Node& node, const std::string& what, std::int64_t min,
                       std::int64_t max) const;

  /// Remembers where each parameter is first given, refusing a second place.
  void claim(const YAML::Node& key_node, const std::string& section);
  bool claimed(const std::string& key) const { return claimed_.count(key) != 0; }

 private:
  std::string path_;
  std::map<std::string, std::string> claimed_;
};

// One function per top-level key of a study (study_sections.cpp, launcher_section.cpp).
void parse_name(Parser& p, const YAML::Node& node, Study& study);
void parse_parameters(Parser& p, const YAML::Node& node, StudyDraft& draft);
void parse_sweep(Parser& p, const YAML::Node& node, StudyDraft& draft);
void parse_zip(Parser& p, const YAML::Node& node, StudyDraft& draft);
void parse_exclude(Parser& p, const YAML::Node& node, StudyDraft& draft);
void parse_scaling(Parser& p, const YAML::Node& node, Study& study, StudyDraft& draft);
void parse_report(Parser& p, const YAML::Node& node, Study& study);
void parse_launcher(Parser& p, const YAML::Node& node, LauncherSpec& launcher);

/// The cartesian product of the draft's axes less its exclusions, each point checked, sized,
/// divided for strong scaling, repeated and given its id (study_expansion.cpp).
void expand_points(const Parser& p, const StudyDraft& draft, Study& study);

}  // namespace scalestudy::study::detail
