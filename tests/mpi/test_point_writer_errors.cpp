// MPI tests of the point writer on inconsistent input: the same ResultsError on every rank, no
// file, no hang.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mpi/point_writer_support.hpp"

namespace scalestudy::results {
namespace {

using namespace support;  // NOLINT(google-build-using-namespace): the tests' own helpers

TEST_F(PointWriterTest, DifferentSampleCountsThrowOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  TimingRecorder recorder;
  recorder.add("put", rank == size - 1 ? 4 : 3);
  PointRecord record;
  record.timings = &recorder;
  const std::string file_path = path("samples");
  expect_results_error_everywhere(
      [&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
      "operation 'put' has 3 samples on rank 0 but 4 on rank " + std::to_string(size - 1));
  expect_no_file(file_path);
}

TEST_F(PointWriterTest, DifferentWarmupThrowsOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  TimingRecorder recorder;
  recorder.add("get", 6, rank == size - 1 ? 2 : 1);
  PointRecord record;
  record.timings = &recorder;
  const std::string file_path = path("warmup");
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "operation 'get' has different warm-up samples on rank 0");
  expect_no_file(file_path);
}

TEST_F(PointWriterTest, DifferentCounterNamesThrowOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  PointRecord record;
  if (rank == 0) record.counters = {{"requests", 1}, {"errors", 2}};
  if (rank == size - 1) record.counters = {{"requests", 1}, {"keys", 2}};
  const std::string file_path = path("counters");
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "database counters differ");
  expect_no_file(file_path);
}

TEST_F(PointWriterTest, DifferentAttributesThrowOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  PointRecord record;
  record.parameters = {{"iterations", std::int64_t{rank == size - 1 ? 11 : 10}}};
  const std::string file_path = path("attributes");
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "attributes given on rank " + std::to_string(size - 1));
  expect_no_file(file_path);
}

// An input error seen by one rank only (a name HDF5 cannot use) still stops every rank.
TEST_F(PointWriterTest, OneRanksBadInputThrowsOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  TimingRecorder recorder;
  recorder.add(rank == 0 ? "." : "fine", 1);
  PointRecord record;
  record.timings = &recorder;
  const std::string file_path = path("bad_name");
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "rank 0: operation name '.'");
  expect_no_file(file_path);
}

TEST_F(PointWriterTest, ReservedCounterNameThrowsOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  PointRecord record;
  if (rank == size - 1) record.counters = {{"shard", 1}};
  expect_results_error_everywhere(
      [&] { write_point_file(MPI_COMM_WORLD, path("reserved"), record); },
      "database counter 'shard' clashes");
}

TEST_F(PointWriterTest, RenameFailureThrowsOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  // The final name is a non-empty directory, so rank 0's rename fails after a complete write.
  const std::string file_path = path("occupied");
  if (rank == 0) {
    std::filesystem::create_directory(file_path);
    std::ofstream(file_path + "/keep") << "x";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  TimingRecorder recorder;
  const PointRecord record = scenario_record(rank, size, recorder);
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "rank 0 could not rename");
  EXPECT_TRUE(std::filesystem::is_directory(file_path));
}

TEST_F(PointWriterTest, MissingDirectoryThrowsOnEveryRank) {
  PointRecord record;
  record.rank.world_rank = rank_of(MPI_COMM_WORLD);
  expect_results_error_everywhere(
      [&] { write_point_file(MPI_COMM_WORLD, directory_ + "/missing/point.h5", record); },
      "HDF5 call H5Fcreate failed");
}

TEST_F(PointWriterTest, RecordTablesWithDifferentColumnsThrowOnEveryRank) {
  const int rank = rank_of(MPI_COMM_WORLD);
  PointRecord record;
  record.tables.push_back(
      {"requests", {{rank == 0 ? "seconds" : "secs", std::vector<double>{1.0}}}});
  const std::string file_path = path("table_columns");
  expect_results_error_everywhere([&] { write_point_file(MPI_COMM_WORLD, file_path, record); },
                                  "record table 'requests' has columns");
  expect_no_file(file_path);
}

}  // namespace
}  // namespace scalestudy::results
