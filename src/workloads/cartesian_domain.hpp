// A client's block of the global 3-D grid: decomposition over a Cartesian process grid, the
// initial field, and the halo exchange with the six neighbours.
#pragma once

#include <mpi.h>

#include <array>
#include <cstddef>
#include <vector>

#include "kernels/stencil.hpp"
#include "workloads/simulation_parameters.hpp"

namespace scalestudy::workloads {

/// How a global grid is split into equal blocks over a process grid.
struct Decomposition {
  std::array<int, 3> dims{1, 1, 1};            ///< processes along x, y and z
  std::array<std::size_t, 3> global{1, 1, 1};  ///< grid points along x, y and z
  std::array<std::size_t, 3> block{1, 1, 1};   ///< points of every block along x, y and z

  int ranks() const { return dims[0] * dims[1] * dims[2]; }
  kernels::Extent3 block_extent() const { return {block[0], block[1], block[2]}; }
};

/// The process grid MPI_Dims_create(ranks, 3) gives in Open MPI: each prime factor of `ranks`,
/// largest first, multiplies the smallest dimension so far; sorted to non-increasing order (so
/// 2 -> 2x1x1, 4 -> 2x2x1, 12 -> 3x2x2). Needs no MPI, so that `scalestudy plan` can check
/// points. Throws ConfigError for ranks < 1.
std::array<int, 3> process_grid(int ranks);

/// The decomposition a point asks for on process grid `dims`. Weak (grid_points = 0): every
/// block has block_points^3 points and the global grid is dims x block_points. Strong
/// (grid_points > 0): a grid_points^3 global grid, divided evenly along every axis; throws
/// ConfigError naming the nearest grid_points that would divide when an axis does not.
Decomposition decompose(const SimulationParameters& simulation, const std::array<int, 3>& dims);

/// The global index of the first interior point of the block at `coords` along each axis.
std::array<std::size_t, 3> block_offset(const Decomposition& decomposition,
                                        const std::array<int, 3>& coords);

/// The initial field of the block at `offset`: the slowest-decaying sine mode of the global grid
/// with zero boundaries, prod over axes of sin(pi (g + 1) / (G + 1)) at global index g. It
/// depends on global indices only, so every decomposition starts from the same field. Values in
/// [x][y][z] order (z fastest), as HeatStencil::set_interior takes them.
std::vector<double> sine_mode(const Decomposition& decomposition,
                              const std::array<std::size_t, 3>& offset);

/// This rank's block on a Cartesian communicator of a group of ranks, not periodic (the global
/// boundary is a zero Dirichlet boundary), without reordering (rank in it = rank in the group).
class CartesianDomain {
 public:
  /// Collective over `comm`, whose size must be decomposition.ranks(): MPI_Cart_create and
  /// MPI_Cart_shift. Throws MpiError, or WorkloadError when the sizes differ.
  CartesianDomain(MPI_Comm comm, const Decomposition& decomposition);
  ~CartesianDomain();
  CartesianDomain(const CartesianDomain&) = delete;
  CartesianDomain& operator=(const CartesianDomain&) = delete;

  /// MPI_Dims_create(ranks, 3). Throws MpiError.
  static std::array<int, 3> mpi_process_grid(int ranks);

  const Decomposition& decomposition() const { return decomposition_; }
  const std::array<int, 3>& coords() const { return coords_; }
  std::array<std::size_t, 3> offset() const { return block_offset(decomposition_, coords_); }

  /// The neighbour's rank across `face`, or MPI_PROC_NULL on the global boundary.
  int neighbour(kernels::Face face) const { return neighbours_[static_cast<std::size_t>(face)]; }

  /// Fills the halo of every face of `stencil` that has a neighbour with that neighbour's
  /// boundary layer: posts every receive, packs and sends every face (nonblocking), waits, then
  /// unpacks. Faces on the global boundary keep their Dirichlet value. Collective with the
  /// neighbours. Throws MpiError.
  void exchange_halos(kernels::HeatStencil& stencil);

 private:
  Decomposition decomposition_;
  MPI_Comm cart_ = MPI_COMM_NULL;
  std::array<int, 3> coords_{};
  std::array<int, 6> neighbours_{};
  std::array<std::vector<double>, 6> send_;
  std::array<std::vector<double>, 6> receive_;
  std::vector<MPI_Request> requests_;
};

}  // namespace scalestudy::workloads
