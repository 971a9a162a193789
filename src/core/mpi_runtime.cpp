// MPI start-up and shutdown, node discovery and host facts.
#include "core/mpi_runtime.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <numeric>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "core/mpi_check.hpp"

namespace scalestudy::core {

MpiRuntime::MpiRuntime(int* argc, char*** argv, int required_thread_level) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) {
    MPI_Query_thread(&provided_);
  } else {
    check_mpi(MPI_Init_thread(argc, argv, required_thread_level, &provided_), "MPI_Init_thread");
  }
  if (provided_ < required_thread_level) {
    throw MpiError("MPI provides thread level " + std::to_string(provided_) + ", but " +
                   std::to_string(required_thread_level) +
                   " is required; use an MPI built with thread support");
  }
}

MpiRuntime::~MpiRuntime() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

int world_rank() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return 0;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

std::vector<int> discover_nodes(MPI_Comm comm) {
  int rank = 0;
  int size = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  MPI_Comm node_comm = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node_comm),
            "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)");
  // Every rank learns the lowest rank of its node; nodes are numbered by that rank.
  int leader = rank;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &leader, 1, MPI_INT, MPI_MIN, node_comm),
            "MPI_Allreduce(node leader)");
  MPI_Comm_free(&node_comm);
  std::vector<int> leaders(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, comm),
            "MPI_Allgather(node leaders)");
  std::vector<int> node_of_leader(static_cast<std::size_t>(size), -1);
  int next = 0;
  for (int r = 0; r < size; ++r) {
    auto& id = node_of_leader[static_cast<std::size_t>(leaders[static_cast<std::size_t>(r)])];
    if (id < 0) id = next++;
  }
  std::vector<int> node(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    node[static_cast<std::size_t>(r)] =
        node_of_leader[static_cast<std::size_t>(leaders[static_cast<std::size_t>(r)])];
  }
  return node;
}

std::string hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string cpu_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "unknown";
  std::ostringstream out;
  bool first = true;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!first) out << ',';
    first = false;
    out << cpu;
    if (last > cpu) out << '-' << last;
    cpu = last;
  }
  return out.str();
}

long long peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return static_cast<long long>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  const auto end = version.find_first_of("\n,");
  return version.substr(0, end);
}

MPI_Comm duplicate_checked(MPI_Comm comm) {
  MPI_Comm dup = MPI_COMM_NULL;
  check_mpi(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup");
  check_mpi(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return dup;
}

std::vector<std::string> allgather_strings(MPI_Comm comm, const std::string& mine) {
  int size = 0;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm),
            "MPI_Allgather(string lengths)");
  std::vector<int> offsets(static_cast<std::size_t>(size), 0);
  std::exclusive_scan(lengths.begin(), lengths.end(), offsets.begin(), 0);
  std::string all(static_cast<std::size_t>(offsets.back() + lengths.back()), '\0');
  check_mpi(MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(),
                           offsets.data(), MPI_CHAR, comm),
            "MPI_Allgatherv(strings)");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    out.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)])));
  }
  return out;
}

bool all_ranks_arrive(MPI_Comm comm, std::chrono::milliseconds timeout) {
  MPI_Request request = MPI_REQUEST_NULL;
  if (MPI_Ibarrier(comm, &request) != MPI_SUCCESS) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int done = 0;
    if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
    if (done != 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void abort_job(const std::string& message, int exit_code) {
  std::fprintf(stderr, "[rank %d] %s\n", world_rank(), message.c_str());
  std::fflush(stderr);
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace scalestudy::core
