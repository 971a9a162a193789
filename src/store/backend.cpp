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

namespace {

/// What `backend` lacks of `needed`, as "has no model runtime", "stores no tensors", ...; and
/// the names of the backends that have all of it.
struct Lack {
  std::string what;
  std::string alternatives;
};

Lack lack_of(const Backend& backend, const Services& needed) {
  const std::pair<bool Services::*, const char*> services[] = {
      {&Services::models, "has no model runtime"},
      {&Services::tensors, "stores no tensors"},
      {&Services::datasets, "stores no datasets"},
      {&Services::mpi_data, "does not move its data over MPI"},
  };
  Lack lack;
  for (const auto& [service, text] : services) {
    if (needed.*service && !(backend.serves.*service)) {
      lack.what += (lack.what.empty() ? "" : " and ") + std::string(text);
    }
  }
  for (const auto& other : backends()) {
    bool all = true;
    for (const auto& [service, text] : services)
      all = all && (!(needed.*service) || other.serves.*service);
    if (all) lack.alternatives += (lack.alternatives.empty() ? "" : ", ") + std::string(other.name);
  }
  return lack;
}

}  // namespace

void check_services(const Backend& backend, const Services& needed, std::string_view workload) {
  const Lack lack = lack_of(backend, needed);
  if (!lack.what.empty()) {
    std::string message = "the " + std::string(backend.name) + " backend " + lack.what;
    if (!backend.limits.empty()) message += " (" + std::string(backend.limits) + ")";
    message += ": the " + std::string(workload) + " workload needs backend: " +
               (lack.alternatives.empty() ? "none built into this scalestudy" : lack.alternatives);
    throw ConfigError(message);
  }
}

void check_database_ranks(const Backend& backend, int database_ranks) {
  if (backend.database_ranks > 0 && database_ranks > 0 &&
      database_ranks != backend.database_ranks) {
    const bool one = backend.database_ranks == 1;
    throw ConfigError(
        "the " + std::string(backend.name) + " backend runs with exactly " +
        (one ? "one database rank" : std::to_string(backend.database_ranks) + " database ranks") +
        " (" + std::string(backend.limits) + "); set " +
        (one ? "db_nodes: 1 and db_ranks_per_node: 1"
             : "db_nodes x db_ranks_per_node to " + std::to_string(backend.database_ranks)));
  }
}

const core::ParamSpec& backend_parameter() {
  static const core::TableChoice choice = [] {
    std::vector<core::TableChoice::Entry> entries;
    for (const auto& backend : backends()) entries.push_back({backend.name, backend.summary});
    return core::TableChoice("backend", "What runs", "store the database ranks serve", entries);
  }();
  return choice.spec();
}

using core::ParamSpec;
using core::ParamType;

// clang-format off
const std::vector<ParamSpec>& database_parameters() {
  static const std::vector<ParamSpec> specs = {
      {"db_max_memory", ParamType::Bytes, "0", "Database",
       "tensor memory each database rank may hold; a put beyond it is refused (0: no limit)"},
  };
  return specs;
}
// clang-format on

std::uint64_t max_memory_bytes(const core::Parameters& params) {
  return static_cast<std::uint64_t>(params.integer("db_max_memory"));
}

// clang-format off
const std::vector<ParamSpec>& wait_parameters() {
  static const std::vector<ParamSpec> specs = {
      {"wait_spin_us", ParamType::Integer, "50", "Database",
       "how long a waiting rank (a database progress loop, a client awaiting a reply) polls "
       "before it starts sleeping, in microseconds (0 sleeps at once: every reply then waits "
       "for a wake-up, measured at 200 us per 1 KiB put on a 2-core VM against 1 us)",
       {}, 0},
      {"wait_max_sleep_us", ParamType::Integer, "100", "Database",
       "longest sleep of a waiting rank between polls, in microseconds (0: never sleep)", {}, 0},
  };
  return specs;
}
// clang-format on

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
