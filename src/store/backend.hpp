// Store backends picked by name: the client connection and what a database rank runs.
#pragma once

#include <mpi.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "core/layout.hpp"
#include "core/parameters.hpp"
#include "store/model_runtime.hpp"
#include "store/store.hpp"

namespace scalestudy::store {

/// What a backend is built from. `comm` is the store communicator: a duplicate of the job's
/// world with MPI_ERRORS_RETURN, made collectively before roles split.
struct BackendContext {
  const core::Parameters& params;
  const core::Layout& layout;
  MPI_Comm comm;
  int world_rank;
  /// Threads of a client rank (client_threads): the requests a client keeps in flight.
  int client_threads = 1;
  /// Makes a database rank's model runtime; empty when this build has none (no libtorch).
  std::function<std::unique_ptr<ModelRuntime>()> make_model_runtime = {};
};

/// What a database rank runs until its clients are done.
class DatabaseRank {
 public:
  virtual ~DatabaseRank() = default;
  /// Serves until every client of this shard has said goodbye.
  virtual void serve() = 0;
  virtual ShardCounters counters() const = 0;
  /// Every model and script request this rank served (none for backends without models).
  virtual std::vector<RequestRecord> request_records() const { return {}; }
  /// Load and first-call times of its models and scripts.
  virtual std::vector<ModelLoad> model_loads() const { return {}; }
};

/// What a backend's database ranks serve, and what a workload needs of them.
struct Services {
  bool tensors = false;   ///< put, get, unpack and delete tensors
  bool datasets = false;  ///< datasets and lists of them
  bool models = false;    ///< models and scripts run on the database ranks
  /// Tensors travel between clients and database ranks over MPI, so the raw MPI exchange
  /// (raw_put_tensor, raw_unpack_tensor) is their physical limit.
  bool mpi_data = false;
};

/// One backend: what it is and serves, and its factories. Picked by name (the point's
/// `backend`); nothing outside the table compares that name: it asks these fields.
struct Backend {
  std::string_view name;
  std::string_view summary;  ///< what its database ranks are, for --help
  Services serves;
  /// Why it serves no more than it does, for messages ("Redis here runs without RedisAI").
  std::string_view limits;
  /// Database ranks it runs with: 0 for any number, else exactly this many.
  int database_ranks = 0;
  /// How often a consumer polls a list's length unless told (SmartSim-Scaling's intervals:
  /// 5 ms against a database, 50 ms against files).
  int list_poll_ms = 5;
  /// Its own parameters, declared beside its code (nullptr: none).
  core::ParameterSection parameters = nullptr;
  /// Client side: connects this client rank to the shards it may use.
  std::unique_ptr<Store> (*connect)(const BackendContext&) = nullptr;
  /// Database side: prepares this database rank to serve.
  std::unique_ptr<DatabaseRank> (*start)(const BackendContext&) = nullptr;
};

/// Every backend built into this binary.
const std::vector<Backend>& backends();

/// The backend called `name`. Throws ConfigError listing the known ones.
const Backend& find_backend(std::string_view name);

/// Checks that `backend` serves what workload `workload` needs. Throws ConfigError saying what
/// it lacks and which backends have it.
void check_services(const Backend& backend, const Services& needed, std::string_view workload);

/// Checks that `backend` runs with `database_ranks` database ranks (0: not known before the
/// job starts, not checked). Throws ConfigError saying what to set.
void check_database_ranks(const Backend& backend, int database_ranks);

/// The point's `backend`: a choice of every backend built into this binary.
const core::ParamSpec& backend_parameter();

/// What every backend's database ranks share: db_max_memory.
const std::vector<core::ParamSpec>& database_parameters();

/// Tensor memory each database rank may hold (db_max_memory; 0: no limit).
std::uint64_t max_memory_bytes(const core::Parameters& params);

/// How waiting ranks poll and sleep: wait_spin_us and wait_max_sleep_us.
const std::vector<core::ParamSpec>& wait_parameters();

/// How waiting ranks poll and sleep, from the point's wait_spin_us and wait_max_sleep_us.
core::WaitPolicy wait_policy(const core::Parameters& params);

/// The shards the client or consumer rank `world_rank` may use, in slot order, as (shard
/// index, rank) pairs.
std::vector<std::pair<int, int>> client_shards(const core::Layout& layout, int world_rank);

}  // namespace scalestudy::store
