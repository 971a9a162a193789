// The sections of a study file, one function per top-level key (the launcher has its own file).
#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "study/impl/study_parser.hpp"

namespace scalestudy::study::detail {
namespace {

const std::vector<std::string_view> kScalingKeys = {"mode", "divide"};

/// The values of one list as written, each checked against `spec`.
std::vector<Located> located_values(const Parser& p, const core::ParamSpec& spec,
                                    const YAML::Node& list) {
  std::vector<Located> values;
  for (const auto& element : list) {
    p.value(spec, element);
    values.push_back({element.Scalar(), p.where(element)});
  }
  return values;
}

}  // namespace

void parse_name(Parser& p, const YAML::Node& node, Study& study) {
  study.name = p.scalar(node, "name");
  const bool valid =
      !study.name.empty() && std::all_of(study.name.begin(), study.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
  if (!valid || study.name == "." || study.name == "..") {
    p.fail(node, "name '" + study.name +
                     "' must be letters, digits, '_', '-' or '.' (it names the results "
                     "directory)");
  }
}

void parse_parameters(Parser& p, const YAML::Node& node, StudyDraft& draft) {
  for (const auto& entry : p.mapping(node, "parameters")) {
    const core::ParamSpec& spec = p.parameter(entry.first, "parameters");
    p.claim(entry.first, "parameters");
    p.value(spec, entry.second);
    draft.base.set(spec.name, entry.second.Scalar(), p.where(entry.second));
  }
}

void parse_sweep(Parser& p, const YAML::Node& node, StudyDraft& draft) {
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
    axis.values.push_back(located_values(p, spec, list));
    draft.axes.push_back(std::move(axis));
  }
}

void parse_zip(Parser& p, const YAML::Node& node, StudyDraft& draft) {
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
        p.fail(list, "zip lists must have the same length: '" + std::string(spec.name) + "' has " +
                         std::to_string(list.size()) + " values but '" + axis.keys.front() + "' (" +
                         p.where(first_list) + ") has " + std::to_string(axis.size()));
      }
      if (axis.keys.empty()) first_list = list;
      axis.keys.push_back(std::string(spec.name));
      axis.values.push_back(located_values(p, spec, list));
    }
    if (axis.keys.empty()) p.fail(group, "zip group is empty");
    draft.axes.push_back(std::move(axis));
  }
}

void parse_exclude(Parser& p, const YAML::Node& node, StudyDraft& draft) {
  draft.exclude_node = node;
  if (!node.IsSequence()) {
    p.fail(node, "exclude must be a list of rules such as {deployment: colocated, db_nodes: 2}");
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
    draft.rules.push_back(std::move(rule));
  }
}

void parse_scaling(Parser& p, const YAML::Node& node, Study& study, StudyDraft& draft) {
  const std::vector<std::string_view> modes = {"none", "strong", "weak"};
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
           "scaling.divide applies to strong scaling only (weak scaling keeps the work per "
           "client fixed)");
  }
  // Unless every point fixes its own total (checked once the points are known).
  if (study.scaling.mode == "strong" && study.scaling.divide.empty()) {
    draft.strong_without_divide = p.where(node);
  }
}

void parse_report(Parser& p, const YAML::Node& node, Study& study) {
  for (const auto& entry : p.mapping(node, "report")) {
    const std::string sub = entry.first.Scalar();
    if (sub != "compare") {
      p.fail(entry.first,
             "unknown report key '" + sub + "'" + Parser::suggestion(sub, {"compare"}));
    }
    study.report_compare = p.scalar(entry.second, "report.compare");
    if (!core::find_parameter(study.report_compare)) {
      const std::string best = core::closest_parameter(study.report_compare);
      p.fail(entry.second, "report.compare: '" + study.report_compare + "' is not a parameter" +
                               (best.empty() ? "" : " (did you mean '" + best + "'?)"));
    }
  }
}

}  // namespace scalestudy::study::detail
