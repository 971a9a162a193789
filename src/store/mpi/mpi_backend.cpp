// Builds mpi-store clients and database ranks from a point's parameters and layout.
#include "store/mpi/mpi_backend.hpp"

#include "store/mpi/mpi_server.hpp"
#include "store/mpi/mpi_store.hpp"

namespace scalestudy::store::mpi {
namespace {

class MpiDatabaseRank final : public DatabaseRank {
 public:
  MpiDatabaseRank(MPI_Comm comm, int shard, int clients, std::uint64_t max_memory)
      : server_(comm, shard, clients, max_memory) {}
  void serve() override { server_.serve(); }
  ShardCounters counters() const override { return server_.counters(); }

 private:
  MpiServer server_;
};

std::unique_ptr<Store> connect(const BackendContext& context) {
  const auto& placement = context.layout.ranks[static_cast<std::size_t>(context.world_rank)];
  std::vector<ShardAddress> shards;
  for (const auto& [shard, rank] : client_shards(context.layout, placement.index)) {
    shards.push_back({shard, rank});
  }
  return std::make_unique<MpiStore>(
      context.comm, std::move(shards),
      static_cast<std::uint64_t>(context.params.integer("mpi_inline_bytes")));
}

std::unique_ptr<DatabaseRank> start(const BackendContext& context) {
  const auto& placement = context.layout.ranks[static_cast<std::size_t>(context.world_rank)];
  return std::make_unique<MpiDatabaseRank>(
      context.comm, placement.index, context.layout.clients_of_shard(placement.index),
      static_cast<std::uint64_t>(context.params.integer("db_max_memory")));
}

}  // namespace

Backend backend() { return Backend{"mpi", &connect, &start}; }

}  // namespace scalestudy::store::mpi
