// The per-point arithmetic every backend shares, so that backends agree bit for bit.
#pragma once

#include <cmath>

// Device compilers need these marked callable on the device; host compilers need nothing. This
// is the one place the kernels spell it, instead of including Kokkos's macros in OpenMP code.
#if defined(__CUDACC__) || defined(__HIPCC__)
#define SCALESTUDY_HOST_DEVICE __host__ __device__
#else
#define SCALESTUDY_HOST_DEVICE
#endif

namespace scalestudy::kernels::detail {

/// One explicit-Euler update of the 7-point heat stencil at a point of value c, from its x, y and
/// z neighbours (m: minus, p: plus) and r = alpha*dt/h^2. The grouping is fixed here.
SCALESTUDY_HOST_DEVICE inline double heat_update(double c, double xm, double xp, double ym,
                                                 double yp, double zm, double zp, double r) {
  return c + r * ((xm + xp) + (ym + yp) + (zm + zp) - 6.0 * c);
}

/// pre_process_3ch on one value: float(x) / 255, minus the channel's mean, over its std.
SCALESTUDY_HOST_DEVICE inline float normalize_value(float x, float mean, float std_dev) {
  return (x / 255.0f - mean) / std_dev;
}

/// |x|. fabs, not a comparison: that would be a data-dependent branch on the host (it cannot
/// become a sign mask, because it differs from fabs for -0.0), mispredicted half the time on
/// random signs. CUDA and HIP provide fabs in device code too.
SCALESTUDY_HOST_DEVICE inline double magnitude(double x) { return std::fabs(x); }

/// The larger of a and b.
SCALESTUDY_HOST_DEVICE inline double larger(double a, double b) { return a < b ? b : a; }

}  // namespace scalestudy::kernels::detail
