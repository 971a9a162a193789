// OpenMP thread counts of a rank, and the placement attributes of a point.
#include "point/rank_placement.hpp"

#include <omp.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "core/mpi_runtime.hpp"
#include "core/placement.hpp"

namespace scalestudy::point {

int apply_omp_threads(int threads) {
  if (threads < 1) {
    throw WorkloadError("cannot run " + std::to_string(threads) + " OpenMP threads; use 1 or more");
  }
  omp_set_num_threads(threads);
  return omp_get_max_threads();
}

std::vector<results::Attribute> placement_attributes(MPI_Comm comm,
                                                     const std::vector<std::string>& host_of_rank,
                                                     int my_threads, std::string& warning) {
  int size = 0;
  core::check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const int mine[2] = {my_threads, core::node_cpus()};
  std::vector<int> all(2 * static_cast<std::size_t>(size));
  core::check_mpi(MPI_Allgather(mine, 2, MPI_INT, all.data(), 2, MPI_INT, comm),
                  "MPI_Allgather(threads and CPUs)");
  std::vector<int> threads;
  std::vector<int> cpus;
  for (std::size_t r = 0; r < static_cast<std::size_t>(size); ++r) {
    threads.push_back(all[2 * r]);
    cpus.push_back(all[2 * r + 1]);
  }
  const auto loads = core::host_loads(host_of_rank, threads, cpus);
  const core::HostLoad busiest = core::busiest_host(loads);
  bool oversubscribed = false;
  for (const auto& load : loads) oversubscribed = oversubscribed || load.oversubscribed();

  // Rank 0's environment, so that the attributes are the same on every rank.
  const auto env = [&](const char* name) {
    const char* value = std::getenv(name);
    return core::allgather_strings(comm, value == nullptr ? "" : value).front();
  };
  std::string placement = env("SCALESTUDY_PLACEMENT");
  const std::string launched_by = placement.empty() ? "hand" : "scalestudy run";
  if (placement.empty()) placement = "as launched (not by scalestudy run): nothing set";
  const std::string wait_policy = env("OMP_WAIT_POLICY");
  warning.clear();
  if (oversubscribed) {
    warning = "warning: oversubscribed: host " + busiest.host + " runs " +
              std::to_string(busiest.threads) + " threads (" + std::to_string(busiest.ranks) +
              " ranks) on " + std::to_string(busiest.cpus) + " CPUs";
    if (wait_policy != "passive" && wait_policy != "PASSIVE") {
      warning +=
          "; OpenMP threads that spin while they wait can slow such a point down many times: "
          "set OMP_WAIT_POLICY=passive (scalestudy run does)";
    }
  }
  return {
      {"oversubscribed", oversubscribed},
      {"threads_per_host", std::int64_t{busiest.threads}},
      {"cpus_per_host", std::int64_t{busiest.cpus}},
      {"placement", placement},
      {"launched_by", launched_by},
      {"omp_num_threads", env("OMP_NUM_THREADS")},
      {"omp_places", env("OMP_PLACES")},
      {"omp_proc_bind", env("OMP_PROC_BIND")},
      {"omp_wait_policy", wait_policy},
      // Where start-up times (the simulation's startup operation) are counted from.
      {"launch_time", env("SCALESTUDY_LAUNCH_TIME")},
  };
}

}  // namespace scalestudy::point
