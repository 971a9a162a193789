// all_ranks_arrive: every rank agrees at once; a rank alone gives up after its timeout instead
// of waiting forever (what run_point relies on to abort a job after a one-rank ConfigError).
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>

#include "core/mpi_runtime.hpp"

namespace scalestudy::core {
namespace {

using std::chrono::milliseconds;

TEST(AllRanksArrive, TrueWhenEveryRankCalls) {
  MPI_Comm comm = duplicate_checked(MPI_COMM_WORLD);
  EXPECT_TRUE(all_ranks_arrive(comm, milliseconds(30000)));
  MPI_Comm_free(&comm);
}

TEST(AllRanksArrive, FalseForARankAloneAfterItsTimeout) {
  MPI_Comm comm = duplicate_checked(MPI_COMM_WORLD);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(all_ranks_arrive(comm, milliseconds(200)));
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  }
  // The others arrive late (after rank 0 gave up): this completes rank 0's pending barrier,
  // so the communicator can be freed.
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) EXPECT_TRUE(all_ranks_arrive(comm, milliseconds(30000)));
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Comm_free(&comm);
}

}  // namespace
}  // namespace scalestudy::core
