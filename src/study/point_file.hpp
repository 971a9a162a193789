// Reads a point file: a flat YAML mapping of parameter names to single values.
#pragma once

#include <string>

#include "core/parameters.hpp"

namespace scalestudy::study {

/// Sets every key of the YAML point file at `path` in `params`. Throws ConfigError with
/// "<path>:<line>:<column>: ..." for unreadable files, YAML syntax errors, unknown keys
/// (with a suggestion), bad values and non-scalar values.
void apply_point_file(const std::string& path, core::Parameters& params);

/// The same, for YAML text already in memory; `name` is used in messages.
void apply_point_text(const std::string& text, const std::string& name, core::Parameters& params);

}  // namespace scalestudy::study
