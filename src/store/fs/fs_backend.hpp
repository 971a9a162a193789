// The fs backend: SmartSim-Scaling's file-system baseline of the aggregation study.
#pragma once

#include "store/backend.hpp"

namespace scalestudy::store::fs {

/// "fs": clients read and write dataset files in a shared directory; the one database rank only
/// prepares that directory, tells the clients where it is, and removes it at the end.
Backend backend();

}  // namespace scalestudy::store::fs
