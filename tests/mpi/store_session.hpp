// Test helper: one store session over MPI_COMM_WORLD — database ranks serve while every client
// runs a test body against its own Store, on any built backend.
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/layout.hpp"
#include "store/store.hpp"
#include "store_error_of.hpp"

namespace scalestudy::testing {

struct SessionOptions {
  std::string backend = "mpi";  ///< store::find_backend name
  core::Deployment deployment = core::Deployment::Standard;
  int shards = 1;                ///< standard: database ranks (one virtual node)
  int ranks_per_node = 0;        ///< colocated: virtual node size (0: whole world)
  std::uint64_t max_memory = 0;  ///< db_max_memory of every shard
  std::uint64_t inline_bytes = 16384;
  /// Further parameters (name, value), as a point file would set them.
  std::vector<std::pair<std::string, std::string>> parameters = {};
  /// Gives database ranks a model runtime (as scalestudy-rank does when built with libtorch).
  std::function<std::unique_ptr<store::ModelRuntime>()> model_runtime = {};
};

struct ClientEnv {
  store::Store& store;
  MPI_Comm comm;  ///< the store communicator (for tests that talk to database ranks directly)
  const core::Layout& layout;
  int client;
  MPI_Comm clients;
};

struct SessionResult {
  core::Layout layout;
  std::vector<store::ShardCounters> shards;  ///< counters of every shard, gathered everywhere
  int largest_model_batch = 0;               ///< largest batch any database rank ran a model in
  int model_requests = 0;  ///< model and script requests served by all database ranks
};

/// Collective over MPI_COMM_WORLD: clients and database ranks are built by the backend named
/// in `options`, from a core::Parameters as scalestudy-rank would. Exceptions thrown by `body`,
/// by connecting or by a database rank become test failures on that rank; the store is still
/// closed so no database rank waits forever.
SessionResult run_session(const SessionOptions& options,
                          const std::function<void(ClientEnv&)>& body);

/// Standard layout with `shards` database ranks, clamped so at least one client remains.
SessionOptions standard_with_shards(int shards, std::string backend = "mpi");

/// Every backend built into this binary that stores tensors ("mpi", and "redis" when enabled;
/// not "fs", which stores datasets and lists only).
std::vector<std::string> built_backends();

/// Names a test instance by its backend parameter ("mpi", "redis").
std::string backend_test_name(const ::testing::TestParamInfo<std::string>& info);

/// Every backend built into this binary, all of which store datasets and lists.
std::vector<std::string> dataset_backends();

}  // namespace scalestudy::testing
