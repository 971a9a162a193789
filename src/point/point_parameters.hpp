// The point runner's own parameter: where its results file goes.
#pragma once

#include <string>
#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::point {

/// output, the last of --help.
const std::vector<core::ParamSpec>& output_parameters();

/// The point's results file (output).
const std::string& output_path(const core::Parameters& params);

}  // namespace scalestudy::point
