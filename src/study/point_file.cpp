// Point files: flat YAML mappings validated against the parameter schema.
#include "study/point_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace scalestudy::study {
namespace {

std::string where(const std::string& name, const YAML::Mark& mark) {
  if (mark.is_null()) return name;
  return name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

void apply_point_text(const std::string& text, const std::string& name, core::Parameters& params) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& error) {
    throw ConfigError(where(name, error.mark) + ": YAML syntax error: " + error.msg);
  }
  if (root.IsNull()) return;  // an empty point file sets nothing
  if (!root.IsMap()) {
    throw ConfigError(where(name, root.Mark()) +
                      ": a point file is a mapping of parameter: value lines");
  }
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    const YAML::Node& value = item.second;
    const std::string origin = where(name, item.first.Mark());
    if (!value.IsScalar()) {
      const char* kind = value.IsSequence() ? "a list" : value.IsMap() ? "a mapping" : "empty";
      throw ConfigError(where(name, value.Mark()) + ": " + key + " is " + kind +
                        "; a point holds one value per parameter (sweeps belong in study files)");
    }
    params.set(key, value.Scalar(), origin);
  }
}

void apply_point_file(const std::string& path, core::Parameters& params) {
  std::ifstream in(path);
  if (!in) {
    throw ConfigError(path + ": cannot read point file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  apply_point_text(text.str(), path, params);
}

}  // namespace scalestudy::study
