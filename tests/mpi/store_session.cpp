// Store sessions for MPI tests.
#include "mpi/store_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/layout_parameters.hpp"
#include "core/mpi_runtime.hpp"
#include "core/parameters.hpp"
#include "store/backend.hpp"

namespace scalestudy::testing {

SessionOptions standard_with_shards(int shards, std::string backend) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  SessionOptions options;
  options.backend = std::move(backend);
  options.shards = std::clamp(shards, 1, world - 1);
  return options;
}

std::vector<std::string> dataset_backends() {
  std::vector<std::string> names;
  for (const auto& backend : store::backends()) names.emplace_back(backend.name);
  return names;
}

std::string backend_test_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

std::vector<std::string> built_backends() {
  std::vector<std::string> names;
  for (const auto& backend : store::backends()) {
    if (backend.serves.tensors) names.emplace_back(backend.name);
  }
  return names;
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

  core::Parameters params;
  params.set("backend", options.backend, "session");
  params.set("db_max_memory", std::to_string(options.max_memory), "session");
  params.set("mpi_inline_bytes", std::to_string(options.inline_bytes), "session");
  for (const auto& [name, value] : options.parameters) params.set(name, value, "session");
  const store::Backend& backend = store::find_backend(options.backend);
  store::BackendContext context{params, layout, comm, rank, core::rank_threads(params).client};
  context.make_model_runtime = options.model_runtime;

  store::ShardCounters mine;
  int largest_batch = 0;
  int model_requests = 0;
  if (me.role == core::Role::Database) {
    try {
      const auto database = backend.start(context);
      database->serve();
      mine = database->counters();
      for (const auto& record : database->request_records()) {
        largest_batch = std::max(largest_batch, static_cast<int>(record.batch_size));
        ++model_requests;
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "database rank " << rank << " (" << options.backend << "): " << error.what();
    }
  } else {
    try {
      const auto client = backend.connect(context);
      ClientEnv env{*client, comm, layout, me.index, role_comm};
      try {
        body(env);
      } catch (const std::exception& error) {
        ADD_FAILURE() << "client " << me.index << " threw: " << error.what();
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "client " << me.index << " could not connect: " << error.what();
    }
  }
  MPI_Allreduce(&largest_batch, &result.largest_model_batch, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&model_requests, &result.model_requests, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
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
