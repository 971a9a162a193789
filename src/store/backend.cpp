// The table of built-in backends.
#include "store/backend.hpp"

#include "core/error.hpp"
#include "store/fs/fs_backend.hpp"
#include "store/mpi/mpi_backend.hpp"
#ifdef SCALESTUDY_HAVE_REDIS
#include "store/redis/redis_backend.hpp"
#endif

namespace scalestudy::store {

const std::vector<Backend>& backends() {
  static const std::vector<Backend> table = {
      mpi::backend(),
#ifdef SCALESTUDY_HAVE_REDIS
      redis::backend(),  // built with SCALESTUDY_ENABLE_REDIS
#endif
      fs::backend(),
  };
  return table;
}

const Backend& find_backend(std::string_view name) {
  std::string known;
  for (const auto& backend : backends()) {
    if (backend.name == name) return backend;
    known += (known.empty() ? "" : ", ") + std::string(backend.name);
  }
  throw ConfigError("backend '" + std::string(name) + "' is not built into this scalestudy (" +
                    known + ")");
}

core::WaitPolicy wait_policy(const core::Parameters& params) {
  return {std::chrono::microseconds{params.integer("wait_spin_us")},
          std::chrono::microseconds{params.integer("wait_max_sleep_us")}};
}

std::vector<std::pair<int, int>> client_shards(const core::Layout& layout, int world_rank) {
  std::vector<std::pair<int, int>> out;
  for (const int shard : layout.shards_of_rank(world_rank)) {
    out.emplace_back(shard, layout.shard_ranks[static_cast<std::size_t>(shard)]);
  }
  return out;
}

}  // namespace scalestudy::store
