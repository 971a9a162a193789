// Test helper: one store session over MPI_COMM_WORLD — database ranks serve while every client
// runs a test body against its own MpiStore.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/layout.hpp"
#include "store/mpi/mpi_store.hpp"

namespace scalestudy::testing {

struct SessionOptions {
  core::Deployment deployment = core::Deployment::Standard;
  int shards = 1;                ///< standard: database ranks (one virtual node)
  int ranks_per_node = 0;        ///< colocated: virtual node size (0: whole world)
  std::uint64_t max_memory = 0;  ///< db_max_memory of every shard
  std::uint64_t inline_bytes = 16384;
};

struct ClientEnv {
  store::mpi::MpiStore& store;
  const core::Layout& layout;
  int client;
  MPI_Comm clients;
};

struct SessionResult {
  core::Layout layout;
  std::vector<store::ShardCounters> shards;  ///< counters of every shard, gathered everywhere
};

/// Collective over MPI_COMM_WORLD. Exceptions thrown by `body` become test failures on that
/// rank; the store is still closed so no database rank waits forever.
SessionResult run_session(const SessionOptions& options,
                          const std::function<void(ClientEnv&)>& body);

/// Standard layout with `shards` database ranks, clamped so at least one client remains.
SessionOptions standard_with_shards(int shards);

}  // namespace scalestudy::testing
