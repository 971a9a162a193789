// What the parts above core declare, as core and the study need it: every parameter a point
// may set, and what a point's workload does by itself.
//
// Core cannot name those parts (workloads, backends), so it keeps only the place for them:
// the program's catalog (point/catalog.cpp, the object library scalestudy::catalog that every
// program links) registers itself here as the program starts.
#pragma once

#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::core {

/// What a program's catalog answers.
struct Catalog {
  /// Every key a point may set, in --help order.
  const std::vector<ParamSpec>& (*parameter_schema)() = nullptr;
  /// Whether the point's workload divides a fixed total over its clients by itself.
  bool (*divides_own_work)(const Parameters& point) = nullptr;
};

/// Registers the program's catalog; the last registration wins. Called before main by the
/// catalog's own static initializer.
void register_catalog(const Catalog& catalog);

/// Every key a point may set, in --help order: the sections of every part this program is built
/// from (the point's, each workload's and each backend's). Throws std::logic_error naming the
/// fix when the program links no catalog.
const std::vector<ParamSpec>& parameter_schema();

/// Whether the point's workload divides a fixed total over its clients by itself, so that
/// strong scaling needs no 'divide' (a simulation with a fixed grid_points). Throws ConfigError
/// for an unknown workload, std::logic_error when the program links no catalog.
bool divides_own_work(const Parameters& point);

}  // namespace scalestudy::core
