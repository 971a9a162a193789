// Builds mpi-store clients and database ranks from a point's parameters and layout.
#include "store/mpi/mpi_backend.hpp"

#include "store/mpi/mpi_server.hpp"
#include "store/mpi/mpi_store.hpp"

namespace scalestudy::store::mpi {
namespace {

class MpiDatabaseRank final : public DatabaseRank {
 public:
  MpiDatabaseRank(MPI_Comm comm, ServerOptions options) : server_(comm, std::move(options)) {}
  void serve() override { server_.serve(); }
  ShardCounters counters() const override { return server_.counters(); }
  std::vector<RequestRecord> request_records() const override { return server_.request_records(); }
  std::vector<ModelLoad> model_loads() const override { return server_.model_loads(); }

 private:
  MpiServer server_;
};

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& parameters() {
  static const std::vector<ParamSpec> specs = {
      {"mpi_inline_bytes", ParamType::Bytes, "16KiB", "Database",
       "mpi store: payloads up to this size travel inside the request or reply message "
       "(one copy each side); larger ones go straight between user and tensor memory",
       {}, 0, 65536},
  };
  return specs;
}
// clang-format on

std::unique_ptr<Store> connect(const BackendContext& context) {
  std::vector<control::ShardAddress> shards;
  for (const auto& [shard, rank] : client_shards(context.layout, context.world_rank)) {
    shards.push_back({shard, rank});
  }
  return std::make_unique<MpiStore>(
      context.comm, std::move(shards),
      static_cast<std::uint64_t>(context.params.integer("mpi_inline_bytes")), 0,
      wait_policy(context.params), context.client_threads);
}

std::unique_ptr<DatabaseRank> start(const BackendContext& context) {
  ServerOptions options;
  options.control = control::control_options(context, /*data_elsewhere=*/false);
  options.max_memory_bytes = max_memory_bytes(context.params);
  if (context.make_model_runtime) options.runtime = context.make_model_runtime();
  return std::make_unique<MpiDatabaseRank>(context.comm, std::move(options));
}

}  // namespace

Backend backend() {
  return Backend{
      .name = "mpi",
      .summary = "scalestudy's own MPI tensor store",
      .serves = {.tensors = true, .datasets = true, .models = true, .mpi_data = true},
      .limits = "",
      .parameters = &parameters,
      .connect = &connect,
      .start = &start,
  };
}

}  // namespace scalestudy::store::mpi
