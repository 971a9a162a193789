// The Workload interface (a client rank's timed loop) and the table of built-in workloads.
#pragma once

#include <mpi.h>

#include <memory>
#include <string_view>
#include <vector>

#include "core/layout.hpp"
#include "core/parameters.hpp"
#include "results/record_table.hpp"
#include "results/timing_recorder.hpp"
#include "store/backend.hpp"

namespace scalestudy::workloads {

class ThreadCpus;

/// Everything a client loop may use.
struct WorkloadContext {
  const core::Parameters& params;
  const core::Layout& layout;
  const store::Backend& backend;
  const store::BackendContext& backend_context;
  int client;        ///< this rank's index in its role (client, or consumer for run_consumer)
  MPI_Comm clients;  ///< the ranks of this role only (clients, or consumers), for barriers
  results::TimingRecorder& recorder;
  /// Where a loop that runs OpenMP threads samples their CPUs (nullptr: it need not).
  ThreadCpus* cpus = nullptr;
  /// Record tables the loop adds to the point file (/tables/<name>); nullptr: none.
  std::vector<results::RecordTable>* tables = nullptr;
  /// Client, or Consumer in run_consumer.
  core::Role role = core::Role::Client;
};

class Workload {
 public:
  virtual ~Workload() = default;

  /// Checks the parameters before anything starts, identically on every rank.
  /// Throws ConfigError saying what to change.
  virtual void validate(const core::Parameters& params) const = 0;

  /// Runs this client's loop: connects to the store, records every timed operation, and
  /// disconnects (which lets the database ranks shut down). Collective over `clients`.
  virtual void run(WorkloadContext& context) const = 0;

  /// Whether database ranks must serve models and scripts for this point: only then do they
  /// load libtorch (inference/plugin.hpp).
  virtual bool runs_database_models(const core::Parameters&) const { return false; }

  /// Whether the workload has consumer ranks (the layout's `consumers`). Without them, a
  /// point with consumers is refused.
  virtual bool has_consumers() const { return false; }

  /// Runs a consumer rank's loop (role Consumer). Collective over `context.clients`, the
  /// consumer ranks. Throws WorkloadError for a workload without consumers.
  virtual void run_consumer(WorkloadContext& context) const;
};

struct WorkloadEntry {
  std::string_view name;
  std::unique_ptr<Workload> (*make)();
};

/// Every built-in workload.
const std::vector<WorkloadEntry>& workloads();

/// The workload called `name`. Throws ConfigError listing the known ones.
std::unique_ptr<Workload> make_workload(std::string_view name);

/// Seconds on the MPI wall clock (MPI_Wtime), the clock every sample is taken with.
inline double now() { return MPI_Wtime(); }

}  // namespace scalestudy::workloads
