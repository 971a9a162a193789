// A rank's threads and placement: how many OpenMP threads it runs, and whether the point's
// threads oversubscribe a host.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "results/point_record.hpp"

namespace scalestudy::point {

/// Sets the threads of this rank's later OpenMP parallel regions (omp_set_num_threads, which
/// overrides OMP_NUM_THREADS) and returns omp_get_max_threads(). Throws WorkloadError for
/// threads < 1.
int apply_omp_threads(int threads);

/// Collective over `comm` (every rank of the job): the root attributes that record threads and
/// placement: oversubscribed (bool: some host runs more threads than it has CPUs),
/// threads_per_host and cpus_per_host (of the most loaded host), placement (what the launcher
/// decided: SCALESTUDY_PLACEMENT), launched_by ("scalestudy run" or "hand"), omp_num_threads,
/// omp_places, omp_proc_bind and omp_wait_policy (the environment the job was started with, ""
/// when unset) and launch_time (SCALESTUDY_LAUNCH_TIME, "" when unset), identical on every rank.
/// `host_of_rank` is every rank's host name and `my_threads` this rank's threads. Sets `warning`
/// (else "") to what rank 0 should print about an oversubscribed point. Throws MpiError.
std::vector<results::Attribute> placement_attributes(MPI_Comm comm,
                                                     const std::vector<std::string>& host_of_rank,
                                                     int my_threads, std::string& warning);

}  // namespace scalestudy::point
