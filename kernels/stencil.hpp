// The 3-D 7-point heat-diffusion stencil: problem, halo layout, and the backend-neutral block.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "kernels/reduce.hpp"

namespace scalestudy::kernels {

/// Points of a block along x, y and z, interior only (the one-cell halo is not counted).
struct Extent3 {
  std::size_t nx = 0;
  std::size_t ny = 0;
  std::size_t nz = 0;

  /// Interior points, nx*ny*nz.
  std::size_t points() const { return nx * ny * nz; }
};

/// Explicit Euler for du/dt = alpha * laplacian(u) on a uniform grid of spacing h:
/// u_new = u + r * (sum of the 6 neighbours - 6 u), with r = alpha*dt/h^2.
struct HeatParams {
  Extent3 interior;    ///< interior points of this block
  double alpha = 1.0;  ///< diffusivity
  double dt = 0.0;     ///< time step
  double h = 1.0;      ///< grid spacing, the same along every axis
};

/// The explicit scheme is stable for r = alpha*dt/h^2 up to this value.
inline constexpr double kMaxDiffusionNumber = 1.0 / 6.0;

/// r = alpha*dt/h^2 of `params`.
double diffusion_number(const HeatParams& params);

/// The largest stable time step, h^2 / (6 alpha).
double max_stable_dt(double alpha, double h);

/// The six faces of a block. A face buffer holds one value per point of the face, ordered by the
/// two other axes in x, y, z order, the later one fastest: x faces are [y][z], y faces [x][z],
/// z faces [x][y].
enum class Face { x_low, x_high, y_low, y_high, z_low, z_high };

/// Every face, in enum order.
inline constexpr std::array<Face, 6> kFaces = {Face::x_low,  Face::x_high, Face::y_low,
                                               Face::y_high, Face::z_low,  Face::z_high};

/// Values in a buffer of `face`: ny*nz for x faces, nx*nz for y faces, nx*ny for z faces.
std::size_t face_points(const Extent3& interior, Face face);

/// The face of the neighbouring block that touches `face` (x_low <-> x_high, ...).
Face opposite(Face face);

/// "x_low", "x_high", ... for messages.
const char* face_name(Face face);

/// A block of nx*ny*nz interior points with a one-cell halo, double-buffered in the backend's
/// memory (host for OpenMP, Kokkos's memory space for Kokkos). Make one with
/// Backend::make_heat_stencil; it must not outlive that backend.
///
/// Interior values are exchanged with the host as nx*ny*nz doubles in [x][y][z] order (z fastest).
/// Halo exchange needs no knowledge of the backend's memory: before each step, for every face with
/// a neighbour, pack_face() here, send it, and unpack_halo() what the neighbour packed from its
/// opposite face. A face without a neighbour is a Dirichlet boundary holding set_boundary()'s
/// value (0 after construction) in both buffers, so it persists across steps.
class HeatStencil {
 public:
  virtual ~HeatStencil() = default;
  HeatStencil(const HeatStencil&) = delete;
  HeatStencil& operator=(const HeatStencil&) = delete;

  /// The problem this block solves.
  const HeatParams& params() const { return params_; }

  /// r = alpha*dt/h^2.
  double diffusion_number() const { return r_; }

  /// Sets the interior of the current field. Throws KernelError unless values has nx*ny*nz.
  void set_interior(std::span<const double> values);

  /// Copies the interior of the current field out. Throws KernelError unless it has nx*ny*nz.
  void get_interior(std::span<double> values) const;

  /// Fixes the halo of `face` to `value` in both buffers: a Dirichlet boundary for every step.
  void set_boundary(Face face, double value);

  /// Copies the interior layer next to `face` (what the neighbour across it needs for its halo)
  /// into `out`. Throws KernelError unless out has face_points(face) values.
  void pack_face(Face face, std::span<double> out) const;

  /// Writes `in` into the halo of `face` of the current field, for the next step only (the other
  /// buffer keeps its own halo). Throws KernelError unless in has face_points(face) values.
  void unpack_halo(Face face, std::span<const double> in);

  /// Advances `steps` time steps, swapping the two buffers after each (no copy). Halo values
  /// from unpack_halo are read by the first of them only, so with neighbours exchange halos and
  /// step once. Returns when the field is updated (fences on asynchronous backends).
  void step(int steps = 1);

  /// Sum, sum of squares and largest |u| over the interior of the current field, reduced where
  /// the field lives.
  FieldStats stats() const;

 protected:
  /// Checks `params`: throws KernelError for an empty or too large block, non-positive alpha, dt
  /// or h, and r = alpha*dt/h^2 above the stability limit 1/6.
  explicit HeatStencil(const HeatParams& params);

 private:
  virtual void do_set_interior(std::span<const double> values) = 0;
  virtual void do_get_interior(std::span<double> values) const = 0;
  virtual void do_set_boundary(Face face, double value) = 0;
  virtual void do_pack_face(Face face, std::span<double> out) const = 0;
  virtual void do_unpack_halo(Face face, std::span<const double> in) = 0;
  virtual void do_step(int steps) = 0;
  virtual FieldStats do_stats() const = 0;

  HeatParams params_;
  double r_;
};

}  // namespace scalestudy::kernels
