// What the parts above core declare, as core and the study need it: every parameter a point
// may set, and what a point's workload does by itself.
//
// Core cannot name those parts (workloads, backends), so it only declares these: each program
// links the catalog that defines them from the registries (point/catalog.cpp, the object
// library scalestudy::catalog). A program that forgets it fails to link, not to run.
#pragma once

#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::core {

/// Every key a point may set, in --help order: the sections of every part this program is built
/// from (the point's, each workload's and each backend's).
const std::vector<ParamSpec>& parameter_schema();

/// Whether the point's workload divides a fixed total over its clients by itself, so that
/// strong scaling needs no 'divide' (a simulation with a fixed grid_points). Throws ConfigError
/// for an unknown workload.
bool divides_own_work(const Parameters& point);

}  // namespace scalestudy::core
