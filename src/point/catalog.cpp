// This program's catalog: every parameter a point may set, gathered from the parts that declare
// them, and what a point's workload does by itself. It registers itself in core's place for it
// (core/catalog.hpp) as the program starts; every program links it (the object library
// scalestudy::catalog, whose objects are always linked, so its initializer always runs).
#include "core/catalog.hpp"

#include <algorithm>

#include "core/layout_parameters.hpp"
#include "point/point_parameters.hpp"
#include "store/backend.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::point {
namespace {

using core::ParameterSection;
using core::ParamSpec;

const std::vector<ParamSpec>& parameter_schema() {
  // In --help order: what runs and where ranks go, each workload's sections (a section shared
  // by several, once), what every backend shares and each backend's own, then the results file.
  static const std::vector<ParamSpec> schema = [] {
    std::vector<ParamSpec> all;
    const auto add = [&all](const std::vector<ParamSpec>& section) {
      all.insert(all.end(), section.begin(), section.end());
    };
    all.push_back(workloads::workload_parameter());
    all.push_back(store::backend_parameter());
    add(core::layout_parameters());
    std::vector<ParameterSection> added;
    for (const auto& entry : workloads::workloads()) {
      for (const ParameterSection section : entry.parameters) {
        if (std::find(added.begin(), added.end(), section) != added.end()) continue;
        added.push_back(section);
        add(section());
      }
    }
    add(store::database_parameters());
    for (const auto& backend : store::backends()) {
      if (backend.parameters != nullptr) add(backend.parameters());
    }
    add(store::wait_parameters());
    add(output_parameters());
    return all;
  }();
  return schema;
}

bool divides_own_work(const core::Parameters& point) {
  return workloads::make_workload(point.text("workload"))->needs(point).divides_own_work;
}

/// Registered before main, in every program that links the catalog.
[[maybe_unused]] const bool registered = [] {
  core::register_catalog({&parameter_schema, &divides_own_work});
  return true;
}();

}  // namespace
}  // namespace scalestudy::point
