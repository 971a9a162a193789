// Domain decomposition of the simulation and its nonblocking halo exchange.
#include "workloads/cartesian_domain.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "core/mpi_check.hpp"

namespace scalestudy::workloads {
namespace {

constexpr int kHaloTag = 700;  // + the sender's face

std::string grid_text(const std::array<int, 3>& dims) {
  std::string text = std::to_string(dims[0]);
  text += 'x';
  text += std::to_string(dims[1]);
  text += 'x';
  text += std::to_string(dims[2]);
  return text;
}

}  // namespace

std::array<int, 3> process_grid(int ranks) {
  if (ranks < 1) {
    throw ConfigError("a process grid needs at least 1 rank, not " + std::to_string(ranks));
  }
  std::vector<int> factors;
  int rest = ranks;
  for (int p = 2; p * p <= rest; ++p) {
    while (rest % p == 0) {
      factors.push_back(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push_back(rest);
  std::array<int, 3> dims{1, 1, 1};
  for (auto it = factors.rbegin(); it != factors.rend(); ++it) {
    *std::min_element(dims.begin(), dims.end()) *= *it;
  }
  std::sort(dims.begin(), dims.end(), std::greater<>());
  return dims;
}

Decomposition decompose(const SimulationParameters& simulation, const std::array<int, 3>& dims) {
  Decomposition d;
  d.dims = dims;
  const std::size_t grid = simulation.grid_points;
  if (grid == 0) {
    const std::size_t block = simulation.block_points;
    for (std::size_t a = 0; a < 3; ++a) {
      d.block[a] = block;
      d.global[a] = block * static_cast<std::size_t>(dims[a]);
    }
    return d;
  }
  std::size_t multiple = 1;
  for (const int n : dims) multiple = std::lcm(multiple, static_cast<std::size_t>(n));
  for (std::size_t a = 0; a < 3; ++a) {
    const auto n = static_cast<std::size_t>(dims[a]);
    if (grid % n != 0) {
      const std::size_t below = grid / multiple * multiple;
      std::string message =
          "grid_points=" + std::to_string(grid) + " does not divide evenly over the " +
          grid_text(dims) + " process grid of " + std::to_string(d.ranks()) +
          " clients (MPI_Dims_create): use a multiple of " + std::to_string(multiple) + ", e.g. ";
      if (below > 0) message += std::to_string(below) + " or ";
      message += std::to_string(below + multiple);
      throw ConfigError(message);
    }
    d.global[a] = grid;
    d.block[a] = grid / n;
  }
  return d;
}

std::array<std::size_t, 3> block_offset(const Decomposition& decomposition,
                                        const std::array<int, 3>& coords) {
  std::array<std::size_t, 3> offset{};
  for (std::size_t a = 0; a < 3; ++a) {
    offset[a] = decomposition.block[a] * static_cast<std::size_t>(coords[a]);
  }
  return offset;
}

std::vector<double> sine_mode(const Decomposition& decomposition,
                              const std::array<std::size_t, 3>& offset) {
  std::array<std::vector<double>, 3> factor;
  for (std::size_t a = 0; a < 3; ++a) {
    const double length = static_cast<double>(decomposition.global[a] + 1);
    factor[a].resize(decomposition.block[a]);
    for (std::size_t i = 0; i < decomposition.block[a]; ++i) {
      factor[a][i] = std::sin(std::numbers::pi * static_cast<double>(offset[a] + i + 1) / length);
    }
  }
  std::vector<double> values;
  values.reserve(decomposition.block[0] * decomposition.block[1] * decomposition.block[2]);
  for (const double x : factor[0]) {
    for (const double y : factor[1]) {
      for (const double z : factor[2]) values.push_back(x * y * z);
    }
  }
  return values;
}

CartesianDomain::CartesianDomain(MPI_Comm comm, const Decomposition& decomposition)
    : decomposition_(decomposition) {
  int size = 0;
  core::check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (size != decomposition.ranks()) {
    throw WorkloadError("a " + grid_text(decomposition.dims) + " process grid needs " +
                        std::to_string(decomposition.ranks()) +
                        " ranks, but the communicator has " + std::to_string(size));
  }
  std::array<int, 3> dims = decomposition.dims;
  const std::array<int, 3> periods{0, 0, 0};
  core::check_mpi(MPI_Cart_create(comm, 3, dims.data(), periods.data(), 0, &cart_),
                  "MPI_Cart_create");
  core::check_mpi(MPI_Comm_set_errhandler(cart_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0;
  core::check_mpi(MPI_Comm_rank(cart_, &rank), "MPI_Comm_rank");
  core::check_mpi(MPI_Cart_coords(cart_, rank, 3, coords_.data()), "MPI_Cart_coords");
  for (int axis = 0; axis < 3; ++axis) {
    const auto low = static_cast<std::size_t>(2 * axis);
    core::check_mpi(MPI_Cart_shift(cart_, axis, 1, &neighbours_[low], &neighbours_[low + 1]),
                    "MPI_Cart_shift");
  }
  const kernels::Extent3 extent = decomposition.block_extent();
  for (const kernels::Face face : kernels::kFaces) {
    if (neighbour(face) == MPI_PROC_NULL) continue;
    send_[static_cast<std::size_t>(face)].resize(kernels::face_points(extent, face));
    receive_[static_cast<std::size_t>(face)].resize(kernels::face_points(extent, face));
  }
  requests_.reserve(12);
}

CartesianDomain::~CartesianDomain() {
  if (cart_ != MPI_COMM_NULL) MPI_Comm_free(&cart_);
}

std::array<int, 3> CartesianDomain::mpi_process_grid(int ranks) {
  std::array<int, 3> dims{0, 0, 0};
  core::check_mpi(MPI_Dims_create(ranks, 3, dims.data()), "MPI_Dims_create");
  return dims;
}

void CartesianDomain::exchange_halos(kernels::HeatStencil& stencil) {
  requests_.clear();
  // Receives first, so that no message waits for its buffer. A face's message carries the tag
  // of the face it was packed from: the neighbour across `face` sends its opposite face.
  for (const kernels::Face face : kernels::kFaces) {
    const int peer = neighbour(face);
    if (peer == MPI_PROC_NULL) continue;
    auto& buffer = receive_[static_cast<std::size_t>(face)];
    const int tag = kHaloTag + static_cast<int>(kernels::opposite(face));
    core::mpi_call(MPI_Irecv(buffer.data(), static_cast<int>(buffer.size()), MPI_DOUBLE, peer, tag,
                             cart_, &requests_.emplace_back()),
                   "MPI_Irecv(halo)");
  }
  for (const kernels::Face face : kernels::kFaces) {
    const int peer = neighbour(face);
    if (peer == MPI_PROC_NULL) continue;
    auto& buffer = send_[static_cast<std::size_t>(face)];
    stencil.pack_face(face, buffer);
    core::mpi_call(MPI_Isend(buffer.data(), static_cast<int>(buffer.size()), MPI_DOUBLE, peer,
                             kHaloTag + static_cast<int>(face), cart_, &requests_.emplace_back()),
                   "MPI_Isend(halo)");
  }
  core::mpi_call(
      MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
      "MPI_Waitall(halo)");
  for (const kernels::Face face : kernels::kFaces) {
    if (neighbour(face) == MPI_PROC_NULL) continue;
    stencil.unpack_halo(face, receive_[static_cast<std::size_t>(face)]);
  }
}

}  // namespace scalestudy::workloads
