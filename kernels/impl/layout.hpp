// Where a block's interior, faces and halo lie in its (nx+2)*(ny+2)*(nz+2) storage.
#pragma once

#include <array>
#include <cstddef>

#include "kernels/stencil.hpp"

namespace scalestudy::kernels::detail {

/// Index ranges [begin, end) along x, y, z of a box of storage points (halo included: 0 and n+1
/// are halo). Walking it in x, y, z order, z fastest, is the order of a face buffer.
struct Box {
  std::array<std::size_t, 3> begin;
  std::array<std::size_t, 3> end;

  std::size_t extent(std::size_t axis) const { return end[axis] - begin[axis]; }
  std::size_t points() const { return extent(0) * extent(1) * extent(2); }
};

/// The axis (0: x, 1: y, 2: z) that `face` is normal to.
inline std::size_t face_axis(Face face) { return static_cast<std::size_t>(face) / 2; }

/// The one-point-thick layer of `face`: the interior layer next to it (halo = false) or the halo
/// layer beyond it (halo = true). The other two axes span the interior.
inline Box face_layer(const Extent3& interior, Face face, bool halo) {
  const std::array<std::size_t, 3> n = {interior.nx, interior.ny, interior.nz};
  Box box{{1, 1, 1}, {n[0] + 1, n[1] + 1, n[2] + 1}};
  const std::size_t axis = face_axis(face);
  const bool high = static_cast<int>(face) % 2 == 1;
  const std::size_t at = high ? (halo ? n[axis] + 1 : n[axis]) : (halo ? 0 : 1);
  box.begin[axis] = at;
  box.end[axis] = at + 1;
  return box;
}

}  // namespace scalestudy::kernels::detail
