// Runs one sweep point on every rank of the job: layout, roles, serving or looping, results.
#pragma once

#include <functional>
#include <string>

#include "core/parameters.hpp"

namespace scalestudy::workloads {
struct WorkloadContext;
}  // namespace scalestudy::workloads

namespace scalestudy::point {

/// A consumer loop that replaces the workload's own on consumer ranks (the Python consumer's).
using ConsumerLoop = std::function<void(workloads::WorkloadContext&)>;

/// Collective over MPI_COMM_WORLD (MPI must be initialised). Plans the layout (rank 0 prints
/// the role map), runs database ranks and the workload's client loop, writes the point's HDF5
/// file and prints a summary on rank 0. Throws ConfigError (identically on every rank) for a
/// point that cannot run, before any work; other errors are rank-local. With `consumer_loop`,
/// this process must be a consumer rank, and runs it instead of the workload's consumer loop.
void run_point(const core::Parameters& params, const std::string& command_line,
               const ConsumerLoop& consumer_loop = {});

}  // namespace scalestudy::point
