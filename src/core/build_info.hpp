// What this binary is: version, git state of its sources, compiler (generated at build time).
#pragma once

namespace scalestudy::core {

struct BuildInfo {
  const char* version;     ///< scalestudy version (project VERSION)
  const char* git_sha;     ///< HEAD of the source tree when built, or "unknown"
  bool git_dirty;          ///< uncommitted changes in the source tree when built
  const char* compiler;    ///< compiler id and version
  const char* build_type;  ///< CMake build type
};

/// The build's provenance; defined in the generated build_info.cpp.
const BuildInfo& build_info();

}  // namespace scalestudy::core
