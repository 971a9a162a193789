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
  int threads;       ///< this rank's threads (client_threads)
  MPI_Comm clients;  ///< the ranks of this role only (clients, or consumers), for barriers
  results::TimingRecorder& recorder;
  /// Where a loop that runs OpenMP threads samples their CPUs (nullptr: it need not).
  ThreadCpus* cpus = nullptr;
  /// Record tables the loop adds to the point file (/tables/<name>); nullptr: none.
  std::vector<results::RecordTable>* tables = nullptr;
  /// Client, or Consumer in run_consumer.
  core::Role role = core::Role::Client;
};

/// What a workload needs of a point, asked before anything starts. Nothing outside the
/// workload table compares a workload's name: it asks these.
struct WorkloadNeeds {
  store::Services store;   ///< what the backend's database ranks must serve
  bool consumers = false;  ///< it runs consumer ranks (the layout's `consumers`)
  /// Its clients run kernels whose process runtime must be started (kernels::Runtime: Kokkos).
  bool kernel_runtime = false;
  /// It divides a fixed total over its clients by itself (strong scaling needs no 'divide').
  bool divides_own_work = false;
  /// With store.models: the libtorch threads of the database ranks' model runtime.
  store::ModelRuntimeSettings model_runtime = {};
};

class Workload {
 public:
  virtual ~Workload() = default;

  /// What it needs for the point `params` (it may depend on them: a simulation that couples
  /// by inference needs models).
  virtual WorkloadNeeds needs(const core::Parameters& params) const = 0;

  /// Checks the point before anything starts, identically on every rank: that its backend
  /// serves what this workload needs, with a number of database ranks it runs with, then the
  /// workload's own parameters. Throws ConfigError saying what to change.
  void validate(const core::Parameters& params) const;

  /// Runs this client's loop: connects to the store, records every timed operation, and
  /// disconnects (which lets the database ranks shut down). Collective over `clients`.
  virtual void run(WorkloadContext& context) const = 0;

  /// Runs a consumer rank's loop (role Consumer). Collective over `context.clients`, the
  /// consumer ranks. Throws WorkloadError for a workload without consumers.
  virtual void run_consumer(WorkloadContext& context) const;

 private:
  /// Checks the workload's own parameters. Throws ConfigError saying what to change.
  virtual void check(const core::Parameters& params) const = 0;
};

/// One line of the workload table.
struct WorkloadEntry {
  std::string_view name;
  std::string_view summary;  ///< what it runs, for --help ("": not listed there)
  std::unique_ptr<Workload> (*make)();
  /// The parameter sections it reads, in --help order (sections shared by several workloads,
  /// such as LoopParameters::specs, are listed by each and declared once).
  std::vector<core::ParameterSection> parameters;
};

/// Every built-in workload.
const std::vector<WorkloadEntry>& workloads();

/// The point's `workload`: a choice of every built-in workload.
const core::ParamSpec& workload_parameter();

/// The workload called `name`. Throws ConfigError listing the known ones.
std::unique_ptr<Workload> make_workload(std::string_view name);

/// Seconds on the MPI wall clock (MPI_Wtime), the clock every sample is taken with.
inline double now() { return MPI_Wtime(); }

}  // namespace scalestudy::workloads
