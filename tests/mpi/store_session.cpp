// Store sessions for MPI tests.
#include "mpi/store_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/mpi_runtime.hpp"
#include "store/backend.hpp"
#include "store/mpi/mpi_server.hpp"

namespace scalestudy::testing {

SessionOptions standard_with_shards(int shards) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  SessionOptions options;
  options.shards = std::clamp(shards, 1, world - 1);
  return options;
}

SessionResult run_session(const SessionOptions& options,
                          const std::function<void(ClientEnv&)>& body) {
  int world = 0;
  int rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  core::LayoutRequest request;
  request.world_size = world;
  request.deployment = options.deployment;
  request.db_nodes = 1;
  request.virtual_nodes = true;
  if (options.deployment == core::Deployment::Standard) {
    request.db_ranks_per_node = options.shards;
    request.ranks_per_node = world - options.shards;
  } else {
    request.ranks_per_node = options.ranks_per_node > 0 ? options.ranks_per_node : world - 1;
  }
  SessionResult result{core::plan_layout(request), {}};
  const core::Layout& layout = result.layout;
  const core::RankPlacement& me = layout.ranks[static_cast<std::size_t>(rank)];

  MPI_Comm comm = core::duplicate_checked(MPI_COMM_WORLD);
  MPI_Comm role_comm = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, me.role == core::Role::Client ? 0 : 1, rank, &role_comm);

  store::ShardCounters mine;
  if (me.role == core::Role::Database) {
    store::mpi::MpiServer server(comm, me.index, layout.clients_of_shard(me.index),
                                 options.max_memory);
    server.serve();
    mine = server.counters();
  } else {
    std::vector<store::mpi::ShardAddress> shards;
    for (const auto& [shard, shard_rank] : store::client_shards(layout, me.index)) {
      shards.push_back({shard, shard_rank});
    }
    try {
      store::mpi::MpiStore client(comm, shards, options.inline_bytes);
      ClientEnv env{client, layout, me.index, role_comm};
      try {
        body(env);
      } catch (const std::exception& error) {
        ADD_FAILURE() << "client " << me.index << " threw: " << error.what();
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "client " << me.index << " could not connect: " << error.what();
    }
  }
  // Every rank learns every shard's counters (clients contribute nothing).
  const int is_shard = me.role == core::Role::Database ? 1 : 0;
  std::vector<int> flags(static_cast<std::size_t>(world));
  MPI_Allgather(&is_shard, 1, MPI_INT, flags.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<store::ShardCounters> all(static_cast<std::size_t>(world));
  MPI_Allgather(&mine, sizeof(mine), MPI_BYTE, all.data(), sizeof(mine), MPI_BYTE, MPI_COMM_WORLD);
  for (int r = 0; r < world; ++r) {
    if (flags[static_cast<std::size_t>(r)])
      result.shards.push_back(all[static_cast<std::size_t>(r)]);
  }
  std::sort(result.shards.begin(), result.shards.end(),
            [](const auto& a, const auto& b) { return a.shard < b.shard; });
  MPI_Comm_free(&role_comm);
  MPI_Comm_free(&comm);
  return result;
}

}  // namespace scalestudy::testing
