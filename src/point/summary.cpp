// Percentiles of every operation over the clients' samples, gathered to rank 0 and printed.
#include "point/summary.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "core/mpi_check.hpp"
#include "point/broadcast.hpp"
#include "report/statistics.hpp"

namespace scalestudy::point {

void print_summary(const results::TimingRecorder& recorder, MPI_Comm clients) {
  int rank = 0;
  MPI_Comm_rank(clients, &rank);
  int size = 0;
  MPI_Comm_size(clients, &size);
  std::string names;
  for (const auto& s : recorder.series()) names += s.name + '\n';
  names = broadcast_string(names, clients);
  if (rank == 0) {
    std::printf("%-20s %8s %12s %12s %12s %12s %14s\n", "operation", "samples", "p50 [us]",
                "mean [us]", "p99 [us]", "max [us]", "p50 bandwidth");
  }
  std::size_t start = 0;
  while (start < names.size()) {
    const std::size_t end = names.find('\n', start);
    const std::string name = names.substr(start, end - start);
    start = end + 1;
    std::vector<double> mine;
    std::uint64_t bytes = 0;
    for (const auto& s : recorder.series()) {
      if (s.name != name) continue;
      bytes = s.bytes;
      for (std::size_t i = 0; i < s.seconds.size(); ++i) {
        if (!s.warmup[i] && !s.failed[i]) mine.push_back(s.seconds[i]);
      }
    }
    int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size));
    core::check_mpi(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, clients),
                    "MPI_Gather(summary counts)");
    std::vector<int> offsets(static_cast<std::size_t>(size), 0);
    int total = 0;
    for (int r = 0; r < size; ++r) {
      offsets[static_cast<std::size_t>(r)] = total;
      total += counts[static_cast<std::size_t>(r)];
    }
    std::vector<double> all(rank == 0 ? static_cast<std::size_t>(total) : 0);
    core::check_mpi(MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(),
                                offsets.data(), MPI_DOUBLE, 0, clients),
                    "MPI_Gatherv(summary samples)");
    if (rank != 0) continue;
    const report::Summary s = report::summarize(std::move(all));
    char bandwidth[32] = "";
    if (bytes > 0 && s.p50 > 0) {
      std::snprintf(bandwidth, sizeof(bandwidth), "%.3f GB/s",
                    static_cast<double>(bytes) / s.p50 / 1e9);
    }
    std::printf("%-20s %8zu %12.2f %12.2f %12.2f %12.2f %14s\n", name.c_str(), s.n, s.p50 * 1e6,
                s.mean * 1e6, s.p99 * 1e6, s.max * 1e6, bandwidth);
  }
  if (rank == 0) std::fflush(stdout);
}

}  // namespace scalestudy::point
