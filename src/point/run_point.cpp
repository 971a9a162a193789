// One point from start to results file.
#include "point/run_point.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/layout.hpp"
#include "core/layout_parameters.hpp"
#include "core/mpi_check.hpp"
#include "core/mpi_runtime.hpp"
#include "core/provenance.hpp"
#include "kernels/runtime.hpp"
#include "point/broadcast.hpp"
#include "point/database_records.hpp"
#include "point/point_parameters.hpp"
#include "point/rank_placement.hpp"
#include "point/summary.hpp"
#include "results/point_writer.hpp"
#include "store/backend.hpp"
#ifdef SCALESTUDY_HAVE_TORCH
#include "inference/plugin.hpp"
#endif
#include "workloads/thread_cpus.hpp"
#include "workloads/workload.hpp"

namespace scalestudy::point {
namespace {

core::Layout plan(const core::Parameters& params, MPI_Comm world) {
  core::LayoutRequest request = core::layout_request(params);
  MPI_Comm_size(world, &request.world_size);
  request.real_node_of_rank = core::discover_nodes(world);
  const std::string& mode = params.text("node_mode");
  request.virtual_nodes = mode == "virtual" || (mode == "auto" && request.ranks_per_node > 0);
  return core::plan_layout(request);
}

/// How long ranks wait for each other to agree that a ConfigError was raised everywhere.
constexpr std::chrono::seconds kConfigErrorAgreement{30};

void run_point_on_every_rank(const core::Parameters& params, const std::string& command_line,
                             const ConsumerLoop& consumer_loop) {
  MPI_Comm world = MPI_COMM_WORLD;
  int world_rank = 0;
  MPI_Comm_rank(world, &world_rank);
  const std::string start_time = broadcast_string(core::utc_timestamp(), world);

  // Everything that can make the point impossible is checked here, identically on every rank.
  const core::Layout layout = plan(params, world);
  const store::Backend& backend = store::find_backend(params.text("backend"));
  const auto workload = workloads::make_workload(params.text("workload"));
  workload->validate(params);
  const workloads::WorkloadNeeds needs = workload->needs(params);
  if (layout.consumer_count() > 0 && !needs.consumers) {
    throw ConfigError("workload " + params.text("workload") +
                      " has no consumer ranks; set consumers: 0");
  }

  const auto hosts = core::allgather_strings(world, core::hostname());
  if (world_rank == 0) {
    std::printf("%s", layout.describe(hosts).c_str());
    std::fflush(stdout);
  }

  const core::RankPlacement& me = layout.ranks[static_cast<std::size_t>(world_rank)];
  // Threads: client_threads on clients, db_threads on database ranks, however the job was
  // launched; the point says whether they oversubscribe a host.
  const bool client = me.role == core::Role::Client;
  const core::RankThreads rank_threads = core::rank_threads(params);
  const int threads = me.role == core::Role::Database ? rank_threads.database : rank_threads.client;
  const int omp_threads = apply_omp_threads(threads);
  std::string placement_warning;
  const auto placement = placement_attributes(world, hosts, threads, placement_warning);
  if (world_rank == 0 && !placement_warning.empty()) {
    std::printf("%s\n", placement_warning.c_str());
    std::fflush(stdout);
  }
  workloads::ThreadCpus cpus;
  cpus.sample_this_thread();
  // Kokkos starts once per rank that runs kernels with it, and stops after them.
  std::optional<kernels::Runtime> kernel_runtime;
  if (client && needs.kernel_runtime) kernel_runtime.emplace(threads);
  MPI_Comm store_comm = core::duplicate_checked(world);
  MPI_Comm role_comm = MPI_COMM_NULL;
  core::check_mpi(MPI_Comm_split(world, static_cast<int>(me.role), world_rank, &role_comm),
                  "MPI_Comm_split(roles)");
  MPI_Comm_set_errhandler(role_comm, MPI_ERRORS_RETURN);

  store::BackendContext backend_context{params, layout, store_comm, world_rank,
                                        rank_threads.client};
#ifdef SCALESTUDY_HAVE_TORCH
  if (needs.store.models) {
    backend_context.make_model_runtime = [&needs] {
      return inference::torch_plugin().make_runtime(needs.model_runtime);
    };
  }
#endif
  results::TimingRecorder recorder;
  std::optional<store::ShardCounters> counters;
  std::vector<results::RecordTable> tables;
  if (me.role == core::Role::Database) {
    auto database = backend.start(backend_context);
    database->serve();
    counters = database->counters();
    tables = model_tables(database->request_records(), database->model_loads());
  } else {
    workloads::WorkloadContext context{params,   layout,  backend,   backend_context,
                                       me.index, threads, role_comm, recorder,
                                       &cpus,    &tables, me.role};
    if (consumer_loop && me.role != core::Role::Consumer) {
      throw WorkloadError("this program runs a consumer loop, but it is rank " +
                          std::to_string(world_rank) + ", a " + core::role_name(me.role) +
                          "; launch it as the last `consumers` ranks of the job");
    }
    if (me.role == core::Role::Client) {
      workload->run(context);
    } else if (consumer_loop) {
      consumer_loop(context);
    } else {
      workload->run_consumer(context);
    }
  }
  cpus.sample_this_thread();
  if (cpus.sampled_team()) tables.push_back(cpus.table());
  const std::string end_time = broadcast_string(core::utc_timestamp(), world);

  results::PointRecord record;
  for (const auto& [name, entry] : params.entries())
    record.parameters.push_back({name, entry.value});
  const core::BuildInfo& build = core::build_info();
  record.provenance = {
      {"scalestudy_version", std::string(build.version)},
      {"git_sha", std::string(build.git_sha)},
      {"git_dirty", build.git_dirty},
      {"compiler", std::string(build.compiler)},
      {"build_type", std::string(build.build_type)},
      {"mpi_library", core::mpi_library_version()},
      // Rank 0's: in an MPMD job (a Python consumer) the programs' command lines differ.
      {"command_line", broadcast_string(command_line, world)},
      {"start_time", start_time},
      {"end_time", end_time},
      {"job_id", core::batch_job_id()},
      {"world_size", std::int64_t{layout.world_size()}},
      {"n_clients", std::int64_t{layout.client_count()}},
      {"n_database_ranks", std::int64_t{layout.shard_count()}},
      {"n_nodes", std::int64_t{layout.node_count}},
      {"virtual_nodes", layout.virtual_nodes},
      {"parameters_yaml", params.to_yaml()},
  };
  record.provenance.insert(record.provenance.end(), placement.begin(), placement.end());
  record.rank.world_rank = world_rank;
  record.rank.role = core::role_name(me.role);
  record.rank.node = me.node;
  record.rank.hostname = hosts[static_cast<std::size_t>(world_rank)];
  record.rank.cpus = core::cpu_affinity();
  record.rank.client_index = me.role != core::Role::Database ? me.index : -1;
  record.rank.shard = me.role == core::Role::Database ? me.index : -1;
  record.rank.peak_rss_bytes = core::peak_rss_bytes();
  record.rank.cpus_used = cpus.used();
  record.rank.omp_threads = omp_threads;
  if (me.role != core::Role::Database) record.timings = &recorder;
  if (counters) record.counters = named_counters(*counters);
  record.tables = std::move(tables);
  const std::string& output = output_path(params);
  results::write_point_file(world, output, record);

  if (me.role == core::Role::Client) print_summary(recorder, role_comm);
  if (layout.consumer_count() > 0) {
    // The consumers' table after the clients' (the barrier keeps them apart in the log).
    core::check_mpi(MPI_Barrier(world), "MPI_Barrier(summary)");
    if (me.role == core::Role::Consumer) print_summary(recorder, role_comm);
  }
  if (world_rank == 0) {
    std::printf("results: %s\n", output.c_str());
    std::fflush(stdout);
  }
  MPI_Comm_free(&role_comm);
  MPI_Comm_free(&store_comm);
}

}  // namespace

void run_point(const core::Parameters& params, const std::string& command_line,
               const ConsumerLoop& consumer_loop) {
  // A ConfigError is raised identically on every rank before any work, and then the job ends
  // cleanly with one message. Raised on some ranks only (a bug), it would leave the others
  // waiting forever: those ranks abort the job instead, naming it.
  MPI_Comm agreement = core::duplicate_checked(MPI_COMM_WORLD);
  try {
    run_point_on_every_rank(params, command_line, consumer_loop);
  } catch (const ConfigError& error) {
    if (!core::all_ranks_arrive(agreement, kConfigErrorAgreement)) {
      core::abort_job(std::string("error raised on this rank only: ") + error.what());
    }
    MPI_Comm_free(&agreement);
    throw;
  }
  MPI_Comm_free(&agreement);
}

}  // namespace scalestudy::point
