// The simulation's parameters and their typed view.
#include "workloads/simulation_parameters.hpp"

#include <stdexcept>

namespace scalestudy::workloads {
namespace {

Coupling coupling_of(const std::string& name) {
  if (name == "put") return Coupling::Put;
  if (name == "inference") return Coupling::Inference;
  if (name == "aggregate") return Coupling::Aggregate;
  if (name == "none") return Coupling::None;
  throw std::logic_error("coupling '" + name + "' is not in the simulation's choices");
}

}  // namespace

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& SimulationParameters::specs() {
  static const std::vector<ParamSpec> specs = {
      {"kernel_backend", ParamType::Choice, "openmp", "Simulation",
       "implementation of the simulation's kernels: openmp, or kokkos when this scalestudy was "
       "built with Kokkos", {"openmp", "kokkos"}},
      {"block_points", ParamType::Integer, "32", "Simulation",
       "weak scaling: grid points along each axis of every client's block; the global grid is "
       "the clients' process grid (MPI_Dims_create) times this", {}, 1, 1 << 20},
      {"grid_points", ParamType::Integer, "0", "Simulation",
       "strong scaling: grid points along each axis of the global grid, whatever the number of "
       "clients, divided over their process grid (it must divide evenly along every axis); "
       "0: block_points per client", {}, 0, 1 << 20},
      {"couple_every", ParamType::Integer, "10", "Simulation",
       "simulation: time steps (iterations) between two couplings to the store, and between "
       "two diagnostics", {}, 1},
      {"coupling", ParamType::Choice, "put", "Simulation",
       "what the simulation does every couple_every steps: put (a slice of the field), "
       "inference (images made from the field through the model and script of the inference "
       "workload), aggregate (the slice as a dataset appended to the coupling's list), or none",
       {"put", "inference", "aggregate", "none"}},
      {"slice_planes", ParamType::Integer, "1", "Simulation",
       "coupling put and aggregate: x-planes of the block, from its middle, sent each coupling "
       "as one float64 tensor (block_points for the whole block)", {}, 1, 1 << 20},
  };
  return specs;
}
// clang-format on

SimulationParameters SimulationParameters::of(const core::Parameters& params) {
  SimulationParameters p;
  p.kernel_backend = params.text("kernel_backend");
  p.block_points = static_cast<std::size_t>(params.integer("block_points"));
  p.grid_points = static_cast<std::size_t>(params.integer("grid_points"));
  p.couple_every = static_cast<std::size_t>(params.integer("couple_every"));
  p.coupling = coupling_of(params.text("coupling"));
  p.slice_planes = static_cast<std::size_t>(params.integer("slice_planes"));
  return p;
}

}  // namespace scalestudy::workloads
