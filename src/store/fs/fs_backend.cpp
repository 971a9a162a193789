// The fs backend's database rank (it owns the shared directory, not the data path) and clients.
#include "store/fs/fs_backend.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "core/mpi_runtime.hpp"
#include "store/control/control_server.hpp"
#include "store/control/server_address.hpp"
#include "store/fs/fs_store.hpp"

namespace scalestudy::store::fs {
namespace {

namespace stdfs = std::filesystem;

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& parameters() {
  static const std::vector<ParamSpec> specs = {
      {"fs_directory", ParamType::Text, "", "Data aggregation",
       "fs backend: the shared directory; a fresh subdirectory is made in it and removed at the "
       "end (empty: <output>.fs beside the results file)"},
  };
  return specs;
}
// clang-format on

/// The directory a point's fs backend uses: "<output>.fs" (scalestudy's own, cleared first), or
/// a fresh "scalestudy-fs-<host>-<pid>" inside fs_directory (which is never removed).
std::string shared_root(const core::Parameters& params) {
  const std::string& directory = params.text("fs_directory");
  if (directory.empty()) return stdfs::absolute(params.text("output") + ".fs").string();
  std::string name = "scalestudy-fs-";
  name += core::hostname();
  name += '-';
  name += std::to_string(::getpid());
  return stdfs::absolute(stdfs::path(directory) / name).string();
}

class FsDatabaseRank final : public DatabaseRank {
 public:
  explicit FsDatabaseRank(const BackendContext& context)
      : world_rank_(context.world_rank),
        shard_(context.layout.ranks[static_cast<std::size_t>(context.world_rank)].index),
        server_(context.comm, control::control_options(context, /*data_elsewhere=*/true)) {
    try {
      if (context.layout.shard_count() != 1) {
        throw StoreError(
            "the fs backend runs with exactly one database rank (it only prepares "
            "the shared directory); set db_nodes: 1 and db_ranks_per_node: 1");
      }
      root_ = shared_root(context.params);
      std::error_code error;
      stdfs::remove_all(root_, error);  // a crashed run's leftovers would count as list entries
      stdfs::create_directories(root_ + "/datasets", error);
      if (!error) stdfs::create_directories(root_ + "/lists", error);
      if (error) throw StoreError("cannot create " + root_ + ": " + error.message());
    } catch (const Error& error) {
      control::publish_to_users(context, shard_, "error\n" + std::string(error.what()));
      throw;
    }
    control::publish_to_users(context, shard_, "ok\n" + root_);
  }

  void serve() override {
    server_.serve();  // hello and goodbye; the data goes through the file system
    std::error_code error;
    for (const auto& entry : stdfs::recursive_directory_iterator(root_, error)) {
      if (!entry.is_regular_file(error)) continue;
      ++files_;
      bytes_ += entry.file_size(error);
    }
    stdfs::remove_all(root_, error);
    if (error) {
      std::fprintf(stderr, "[rank %d] fs backend: cannot remove %s: %s\n", world_rank_,
                   root_.c_str(), error.message().c_str());
    }
  }

  /// keys and memory_bytes: the dataset files left at the end and their bytes.
  ShardCounters counters() const override {
    ShardCounters c = server_.counters();
    c.keys = files_;
    c.memory_bytes = bytes_;
    return c;
  }

 private:
  int world_rank_;
  int shard_;
  control::ControlServer server_;
  std::string root_;
  std::uint64_t files_ = 0;
  std::uint64_t bytes_ = 0;
};

std::unique_ptr<Store> connect(const BackendContext& context) {
  const auto published = control::receive_from_shards(context, "fs");
  std::vector<control::ShardAddress> ranks;
  for (const auto& shard : published) ranks.push_back(shard.shard);
  return std::make_unique<FsStore>(context.comm, std::move(ranks),
                                   published.empty() ? "" : published.front().detail,
                                   context.client_threads);
}

std::unique_ptr<DatabaseRank> start(const BackendContext& context) {
  return std::make_unique<FsDatabaseRank>(context);
}

}  // namespace

Backend backend() {
  return Backend{
      .name = "fs",
      .summary =
          "datasets as files in a shared directory, lists as directories: the "
          "file-system baseline of the aggregation workload",
      .serves = {.datasets = true},
      .limits =
          "its data is files in a shared directory, which its one database rank only "
          "prepares",
      .database_ranks = 1,
      .list_poll_ms = 50,
      .parameters = &parameters,
      .connect = &connect,
      .start = &start,
  };
}

}  // namespace scalestudy::store::fs
