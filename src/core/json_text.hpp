// Text as JSON: what the report and status commands print with --format json.
#pragma once

#include <string>

namespace scalestudy::core {

/// `text` as a JSON string literal, quotes and control characters escaped.
std::string json_string(const std::string& text);

}  // namespace scalestudy::core
