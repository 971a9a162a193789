// Where a point's results file goes.
#include "point/point_parameters.hpp"

namespace scalestudy::point {

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& output_parameters() {
  static const std::vector<ParamSpec> specs = {
      {"output", ParamType::Text, "scalestudy_point.h5", "Results",
       "HDF5 file for this point's samples (written as <output>.tmp, renamed when complete)"},
  };
  return specs;
}
// clang-format on

const std::string& output_path(const core::Parameters& params) { return params.text("output"); }

}  // namespace scalestudy::point
