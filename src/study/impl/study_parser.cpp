// Reading a study's YAML with positions: the checks every section of the file shares.
#include "study/impl/study_parser.hpp"

#include "core/error.hpp"

namespace scalestudy::study::detail {
namespace {

/// Keys the study owns on every point; users may not set them.
bool is_managed(const std::string& key) { return key == "output" || key == "repetition"; }

std::string kind(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "empty";
  return "a value";
}

}  // namespace

std::string Parser::where(const YAML::Mark& mark) const {
  if (mark.is_null()) return path_;
  return path_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void Parser::fail(const YAML::Node& node, const std::string& message) const {
  throw ConfigError(where(node) + ": " + message);
}

std::string Parser::suggestion(std::string_view word,
                               const std::vector<std::string_view>& candidates) {
  const std::string best = core::closest_word(word, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string Parser::scalar(const YAML::Node& node, const std::string& what) const {
  if (!node.IsScalar()) fail(node, what + " must be a single value, not " + kind(node));
  return node.Scalar();
}

const YAML::Node& Parser::mapping(const YAML::Node& node, const std::string& what) const {
  if (!node.IsMap()) fail(node, what + " must be a mapping of key: value lines, not " + kind(node));
  return node;
}

const core::ParamSpec& Parser::parameter(const YAML::Node& key_node,
                                         const std::string& section) const {
  const std::string key = key_node.Scalar();
  if (is_managed(key)) {
    fail(key_node, "'" + key + "' is set by scalestudy for every point; remove it from " + section +
                       (key == "repetition" ? " (use repetitions: N)" : ""));
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

core::ParamValue Parser::value(const core::ParamSpec& spec, const YAML::Node& node) const {
  const std::string text = scalar(node, std::string(spec.name));
  try {
    return core::parse_value(spec, text);
  } catch (const ConfigError& error) {
    fail(node, std::string(spec.name) + ": " + error.what());
  }
}

std::int64_t Parser::integer(const YAML::Node& node, const std::string& what, std::int64_t min,
                             std::int64_t max) const {
  const core::ParamSpec spec{what,
                             core::ParamType::Integer,
                             "",
                             "",
                             "",
                             {},
                             static_cast<double>(min),
                             static_cast<double>(max)};
  return std::get<std::int64_t>(value(spec, node));
}

void Parser::claim(const YAML::Node& key_node, const std::string& section) {
  const std::string key = key_node.Scalar();
  const auto [it, inserted] = claimed_.emplace(key, where(key_node) + " (" + section + ")");
  if (!inserted) {
    fail(key_node, "'" + key + "' is already given at " + it->second +
                       "; a parameter is either fixed, swept or zipped, once");
  }
}

}  // namespace scalestudy::study::detail
