// The simulation's halo exchange: a stencil stepped over a Cartesian decomposition on every rank
// equals the same grid stepped whole on one rank, bit for bit, for weak and strong grids.
#include <gtest/gtest.h>
#include <mpi.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "workloads/cartesian_domain.hpp"

namespace scalestudy::workloads {
namespace {

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

/// A field with no symmetry (so that a halo from the wrong face or neighbour shows), from global
/// indices only: the same on every decomposition.
std::vector<double> lopsided_field(const Decomposition& d, const std::array<std::size_t, 3>& at) {
  std::vector<double> values;
  for (std::size_t i = 0; i < d.block[0]; ++i) {
    for (std::size_t j = 0; j < d.block[1]; ++j) {
      for (std::size_t k = 0; k < d.block[2]; ++k) {
        const double x = static_cast<double>(at[0] + i);
        const double y = static_cast<double>(at[1] + j);
        const double z = static_cast<double>(at[2] + k);
        values.push_back(std::sin(0.7 * x + 0.3 * y * y + 1.1 * z) + 0.01 * x * y - 0.02 * z);
      }
    }
  }
  return values;
}

/// Steps `steps` times over `d` on every rank (exchanging halos) and returns the whole grid on
/// rank 0, in [x][y][z] order of the global grid (empty elsewhere).
std::vector<double> run_decomposed(const Decomposition& d, int threads, int steps) {
  CartesianDomain domain(MPI_COMM_WORLD, d);
  const auto backend = kernels::make_backend("openmp", threads);
  kernels::HeatParams heat;
  heat.interior = d.block_extent();
  heat.dt = 0.1;
  const auto stencil = backend->make_heat_stencil(heat);
  stencil->set_interior(lopsided_field(d, domain.offset()));
  for (int s = 0; s < steps; ++s) {
    domain.exchange_halos(*stencil);
    stencil->step();
  }
  std::vector<double> block(heat.interior.points());
  stencil->get_interior(block);
  const auto offset = domain.offset();
  const std::array<unsigned long long, 3> mine = {offset[0], offset[1], offset[2]};
  const int size = world_size();
  const bool root = world_rank() == 0;
  std::vector<double> blocks(root ? block.size() * static_cast<std::size_t>(size) : 0);
  std::vector<unsigned long long> offsets(root ? 3 * static_cast<std::size_t>(size) : 0);
  MPI_Gather(block.data(), static_cast<int>(block.size()), MPI_DOUBLE, blocks.data(),
             static_cast<int>(block.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Gather(mine.data(), 3, MPI_UNSIGNED_LONG_LONG, offsets.data(), 3, MPI_UNSIGNED_LONG_LONG, 0,
             MPI_COMM_WORLD);
  if (!root) return {};
  const auto& g = d.global;
  const auto& b = d.block;
  std::vector<double> whole(g[0] * g[1] * g[2], std::nan(""));
  for (std::size_t r = 0; r < static_cast<std::size_t>(size); ++r) {
    const double* part = blocks.data() + r * block.size();
    for (std::size_t i = 0; i < b[0]; ++i) {
      for (std::size_t j = 0; j < b[1]; ++j) {
        for (std::size_t k = 0; k < b[2]; ++k) {
          const std::size_t x = offsets[3 * r] + i, y = offsets[3 * r + 1] + j,
                            z = offsets[3 * r + 2] + k;
          whole[(x * g[1] + y) * g[2] + z] = part[(i * b[1] + j) * b[2] + k];
        }
      }
    }
  }
  return whole;
}

/// The same grid as one block on this rank alone, with zero (Dirichlet) boundaries.
std::vector<double> run_whole(const Decomposition& d, int steps) {
  Decomposition one;
  one.global = d.global;
  one.block = d.global;
  const auto backend = kernels::make_backend("openmp", 1);
  kernels::HeatParams heat;
  heat.interior = one.block_extent();
  heat.dt = 0.1;
  const auto stencil = backend->make_heat_stencil(heat);
  stencil->set_interior(lopsided_field(one, {0, 0, 0}));
  stencil->step(steps);
  std::vector<double> whole(heat.interior.points());
  stencil->get_interior(whole);
  return whole;
}

void expect_bitwise_equal(const Decomposition& d, int threads) {
  const int steps = 25;
  const auto decomposed = run_decomposed(d, threads, steps);
  if (world_rank() != 0) return;
  const auto whole = run_whole(d, steps);
  ASSERT_EQ(decomposed.size(), whole.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (std::memcmp(&decomposed[i], &whole[i], sizeof(double)) != 0 && ++differ <= 3) {
      ADD_FAILURE() << "point " << i << ": " << decomposed[i] << " decomposed, " << whole[i]
                    << " whole";
    }
  }
  EXPECT_EQ(differ, 0U) << "of " << whole.size() << " points";
}

SimulationParameters grid(int block_points, int grid_points) {
  SimulationParameters simulation;
  simulation.block_points = static_cast<std::size_t>(block_points);
  simulation.grid_points = static_cast<std::size_t>(grid_points);
  return simulation;
}

TEST(CartesianDomain, ProcessGridIsMpiDimsCreate) {
  for (int n = 1; n <= 256; ++n) {
    EXPECT_EQ(process_grid(n), CartesianDomain::mpi_process_grid(n)) << n << " ranks";
  }
}

TEST(CartesianDomain, StrongGridEqualsOneBlockBitForBit) {
  // 12 divides over 2x1x1, 3x1x1 and 2x2x1 alike.
  const auto d = decompose(grid(1, 12), CartesianDomain::mpi_process_grid(world_size()));
  expect_bitwise_equal(d, 1);
}

TEST(CartesianDomain, WeakGridEqualsOneBlockBitForBitOnTwoThreads) {
  // Blocks of 7^3: the global grid is longer along the split axes (14x7x7, 21x7x7, 14x14x7).
  const auto d = decompose(grid(7, 0), CartesianDomain::mpi_process_grid(world_size()));
  expect_bitwise_equal(d, 2);
}

TEST(CartesianDomain, NeighboursAcrossEveryFaceAndNoneOnTheBoundary) {
  const auto d = decompose(grid(4, 0), CartesianDomain::mpi_process_grid(world_size()));
  const CartesianDomain domain(MPI_COMM_WORLD, d);
  for (int axis = 0; axis < 3; ++axis) {
    const auto low = static_cast<kernels::Face>(2 * axis);
    const auto high = static_cast<kernels::Face>(2 * axis + 1);
    const int at = domain.coords()[static_cast<std::size_t>(axis)];
    EXPECT_EQ(domain.neighbour(low) == MPI_PROC_NULL, at == 0) << "axis " << axis;
    EXPECT_EQ(domain.neighbour(high) == MPI_PROC_NULL,
              at == d.dims[static_cast<std::size_t>(axis)] - 1)
        << "axis " << axis;
  }
}

}  // namespace
}  // namespace scalestudy::workloads
