// MPI start-up and shutdown (RAII), node discovery, and what each rank learns about its host.
#pragma once

#include <mpi.h>

#include <chrono>
#include <string>
#include <vector>

namespace scalestudy::core {

/// Initialises MPI with at least `required_thread_level` and finalises it on destruction.
/// Throws MpiError if the library cannot provide the thread level.
class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv, int required_thread_level);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  int thread_level() const { return provided_; }

 private:
  int provided_ = 0;
};

/// Rank of the calling process in MPI_COMM_WORLD (0 before MPI_Init).
int world_rank();

/// Collective over `comm`: the node of every rank of `comm` (MPI_COMM_TYPE_SHARED), numbered
/// 0..N-1 in order of each node's lowest rank.
std::vector<int> discover_nodes(MPI_Comm comm);

/// This host's name.
std::string hostname();

/// The CPUs this process may run on, as a compact list such as "0-3,8".
std::string cpu_affinity();

/// Peak resident memory of this process in bytes (getrusage).
long long peak_rss_bytes();

/// The MPI library's own version string, first line.
std::string mpi_library_version();

/// Duplicates `comm` with MPI_ERRORS_RETURN so failures reach check_mpi as exceptions.
MPI_Comm duplicate_checked(MPI_Comm comm);

/// Collective over `comm`: gathers one string per rank to every rank.
std::vector<std::string> allgather_strings(MPI_Comm comm, const std::string& mine);

/// Whether every rank of `comm` calls this within `timeout` (a nonblocking barrier, polled).
/// For a failure that should happen on every rank alike: when it does, all return true and can
/// end cleanly; when a rank is alone, it returns false (its barrier stays pending) and should
/// abort the job rather than leave the others waiting. `comm` must see no other collective.
bool all_ranks_arrive(MPI_Comm comm, std::chrono::milliseconds timeout);

/// Prints "[rank r] message" to stderr and aborts the whole job (never returns).
[[noreturn]] void abort_job(const std::string& message, int exit_code = 1);

}  // namespace scalestudy::core
