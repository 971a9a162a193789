// The field reduction's result: sum, sum of squares (L2 norm) and largest magnitude.
#pragma once

#include <cmath>
#include <cstddef>

namespace scalestudy::kernels {

/// What a simulation computes over a field for its diagnostics, in one pass over the values.
struct FieldStats {
  std::size_t count = 0;     ///< values reduced
  double sum = 0.0;          ///< sum of the values
  double sum_squares = 0.0;  ///< sum of their squares
  double max_abs = 0.0;      ///< largest |value| (0 for no values)

  /// The Euclidean norm, sqrt(sum_squares).
  double l2_norm() const { return std::sqrt(sum_squares); }
};

}  // namespace scalestudy::kernels
