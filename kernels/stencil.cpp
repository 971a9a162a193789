// Checks shared by every stencil backend: the problem's stability, buffer sizes, face names.
#include "kernels/stencil.hpp"

#include <sstream>
#include <string>

#include "core/error.hpp"

namespace scalestudy::kernels {

namespace {

// Indices of a block are int inside Kokkos kernels; keep every extent (halo included) well
// inside that range.
constexpr std::size_t kMaxExtent = std::size_t{1} << 30;

void check_size(const char* what, std::size_t got, std::size_t expected) {
  if (got != expected) {
    throw KernelError("heat stencil: " + std::string(what) + " has " + std::to_string(got) +
                      " values; it needs " + std::to_string(expected));
  }
}

}  // namespace

double diffusion_number(const HeatParams& params) {
  return params.alpha * params.dt / (params.h * params.h);
}

double max_stable_dt(double alpha, double h) { return h * h / (6.0 * alpha); }

std::size_t face_points(const Extent3& interior, Face face) {
  switch (face) {
    case Face::x_low:
    case Face::x_high:
      return interior.ny * interior.nz;
    case Face::y_low:
    case Face::y_high:
      return interior.nx * interior.nz;
    case Face::z_low:
    case Face::z_high:
      return interior.nx * interior.ny;
  }
  throw KernelError("heat stencil: invalid face " + std::to_string(static_cast<int>(face)));
}

Face opposite(Face face) { return static_cast<Face>(static_cast<int>(face) ^ 1); }

const char* face_name(Face face) {
  static constexpr const char* names[] = {"x_low", "x_high", "y_low", "y_high", "z_low", "z_high"};
  const int index = static_cast<int>(face);
  return index >= 0 && index < 6 ? names[index] : "invalid face";
}

HeatStencil::HeatStencil(const HeatParams& params)
    : params_(params), r_(kernels::diffusion_number(params)) {
  const Extent3& n = params.interior;
  if (n.nx == 0 || n.ny == 0 || n.nz == 0 || n.nx >= kMaxExtent || n.ny >= kMaxExtent ||
      n.nz >= kMaxExtent) {
    throw KernelError("heat stencil: block of " + std::to_string(n.nx) + "x" +
                      std::to_string(n.ny) + "x" + std::to_string(n.nz) +
                      " interior points; each extent must be between 1 and 2^30 - 1");
  }
  if (!(params.alpha > 0.0) || !(params.dt > 0.0) || !(params.h > 0.0)) {
    std::ostringstream message;
    message << "heat stencil: alpha, dt and h must be positive (alpha = " << params.alpha
            << ", dt = " << params.dt << ", h = " << params.h << ")";
    throw KernelError(message.str());
  }
  // A few ulps of slack, so that dt = max_stable_dt(alpha, h) is accepted despite rounding.
  if (!(r_ <= kMaxDiffusionNumber * (1.0 + 1e-12))) {
    std::ostringstream message;
    message << "heat stencil: alpha*dt/h^2 = " << r_
            << " exceeds 1/6, the stability limit of the explicit 7-point scheme (it would blow "
               "up); use dt <= h^2/(6*alpha) = "
            << max_stable_dt(params.alpha, params.h);
    throw KernelError(message.str());
  }
}

void HeatStencil::set_interior(std::span<const double> values) {
  check_size("set_interior's input", values.size(), params_.interior.points());
  do_set_interior(values);
}

void HeatStencil::get_interior(std::span<double> values) const {
  check_size("get_interior's output", values.size(), params_.interior.points());
  do_get_interior(values);
}

void HeatStencil::set_boundary(Face face, double value) {
  face_points(params_.interior, face);  // rejects an invalid face
  do_set_boundary(face, value);
}

void HeatStencil::pack_face(Face face, std::span<double> out) const {
  const std::size_t expected = face_points(params_.interior, face);
  check_size((std::string("pack_face(") + face_name(face) + ")'s output").c_str(), out.size(),
             expected);
  do_pack_face(face, out);
}

void HeatStencil::unpack_halo(Face face, std::span<const double> in) {
  const std::size_t expected = face_points(params_.interior, face);
  check_size((std::string("unpack_halo(") + face_name(face) + ")'s input").c_str(), in.size(),
             expected);
  do_unpack_halo(face, in);
}

void HeatStencil::step(int steps) {
  if (steps < 0) throw KernelError("heat stencil: step(" + std::to_string(steps) + ")");
  if (steps > 0) do_step(steps);
}

FieldStats HeatStencil::stats() const { return do_stats(); }

}  // namespace scalestudy::kernels
