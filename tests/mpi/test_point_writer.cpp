// MPI tests of the parallel-HDF5 point writer: write collectively, read back on one rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mpi/point_writer_support.hpp"

namespace scalestudy::results {
namespace {

using namespace support;  // NOLINT(google-build-using-namespace): the tests' own helpers

TEST_F(PointWriterTest, WritesEveryDatasetAndAttribute) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  ASSERT_GE(size, 2);
  const std::string file_path = path("scenario");
  TimingRecorder recorder;
  const PointRecord record = scenario_record(rank, size, recorder);

  ASSERT_NO_THROW(write_point_file(MPI_COMM_WORLD, file_path, record));
  // Returning means the file is complete under its final name, on every rank.
  EXPECT_TRUE(std::filesystem::exists(file_path));
  EXPECT_FALSE(std::filesystem::exists(file_path + ".tmp"));
  if (rank != 0) return;

  const auto file = open_file(file_path);
  const hid_t f = file.get();
  const int n_clients = size - 1;

  // Root and /parameters attributes, every type.
  EXPECT_EQ(attribute_string(f, "git_sha"), "0123abcd");
  EXPECT_TRUE(attribute_bool(f, "git_dirty"));
  EXPECT_EQ(attribute_int64(f, "world_size"), size);
  EXPECT_EQ(attribute_string(f, "parameters_yaml"), long_text());
  EXPECT_EQ(attribute_int64(f, "format_version"), 1);
  EXPECT_EQ(attribute_string(f, "hdf5_version"), expected_hdf5_version());
  EXPECT_EQ(attribute_count(f), 6);
  {
    const auto parameters =
        H5Handle::checked(H5Gopen2(f, "parameters", H5P_DEFAULT), "H5Gopen2", "/parameters");
    const hid_t p = parameters.get();
    EXPECT_EQ(attribute_count(p), 8);
    EXPECT_EQ(attribute_int64(p, "iterations"), 10);
    EXPECT_EQ(attribute_int64(p, "message_bytes"), (std::int64_t{1} << 40) + 3);
    EXPECT_EQ(attribute_double(p, "ratio"), 0.1);
    EXPECT_TRUE(attribute_bool(p, "verify"));
    EXPECT_FALSE(attribute_bool(p, "shuffle"));
    EXPECT_EQ(attribute_string(p, "backend"), "mpi");
    EXPECT_EQ(attribute_string(p, "label"), "na\xc3\xafve \xe2\x9c\x93");
    EXPECT_EQ(attribute_string(p, "empty"), "");
  }

  // One dataset per operation in each group, and nothing else.
  for (const char* group : {"/timings", "/rows", "/warmup", "/failures"}) {
    const auto g = H5Handle::checked(H5Gopen2(f, group, H5P_DEFAULT), "H5Gopen2", group);
    H5G_info_t info;
    h5_check(H5Gget_info(g.get(), &info), "H5Gget_info");
    EXPECT_EQ(info.nlinks, 3U) << group;  // get_tensor, put_tensor, serve
  }

  // put_tensor: every client.
  std::vector<int> put_ranks;
  for (int r = 0; r < n_clients; ++r) put_ranks.push_back(r);
  // get_tensor: even clients.
  std::vector<int> get_ranks;
  for (int r = 0; r < n_clients; r += 2) get_ranks.push_back(r);

  struct Expected {
    std::string name;
    int op;
    std::size_t samples;
    std::size_t warmup;
    std::vector<int> ranks;
  };
  const std::vector<Expected> ops = {{"get_tensor", 1, kGetSamples, kGetWarmup, get_ranks},
                                     {"put_tensor", 0, kPutSamples, kPutWarmup, put_ranks},
                                     {"serve", 2, kServeSamples, 0, {size - 1}}};
  for (const auto& op : ops) {
    SCOPED_TRACE(op.name);
    const std::size_t n_rows = op.ranks.size();
    EXPECT_EQ(shape_of(f, "/timings/" + op.name), (std::vector<hsize_t>{n_rows, op.samples}));
    EXPECT_EQ(shape_of(f, "/rows/" + op.name), (std::vector<hsize_t>{n_rows}));
    EXPECT_EQ(shape_of(f, "/warmup/" + op.name), (std::vector<hsize_t>{op.samples}));
    EXPECT_EQ(shape_of(f, "/failures/" + op.name), (std::vector<hsize_t>{n_rows, op.samples}));
    EXPECT_TRUE(is_bool_enum(type_of_dataset(f, "/warmup/" + op.name).get()));
    EXPECT_TRUE(is_bool_enum(type_of_dataset(f, "/failures/" + op.name).get()));
    EXPECT_GT(H5Tequal(type_of_dataset(f, "/timings/" + op.name).get(), H5T_NATIVE_DOUBLE), 0);
    EXPECT_GT(H5Tequal(type_of_dataset(f, "/rows/" + op.name).get(), H5T_NATIVE_INT32), 0);

    const auto rows = read_all<std::int32_t>(f, "/rows/" + op.name, H5T_NATIVE_INT32);
    EXPECT_EQ(rows, std::vector<std::int32_t>(op.ranks.begin(), op.ranks.end()));
    const auto warmup = read_all<std::int8_t>(f, "/warmup/" + op.name, H5I_INVALID_HID);
    for (std::size_t i = 0; i < op.samples; ++i) {
      EXPECT_EQ(warmup[i], i < op.warmup ? 1 : 0) << "sample " << i;
    }
    const auto seconds = read_all<double>(f, "/timings/" + op.name, H5T_NATIVE_DOUBLE);
    const auto failed = read_all<std::int8_t>(f, "/failures/" + op.name, H5I_INVALID_HID);
    for (std::size_t row = 0; row < n_rows; ++row) {
      const int r = op.ranks[row];
      for (std::size_t i = 0; i < op.samples; ++i) {
        const double value = seconds[row * op.samples + i];
        if (op.name == "serve" && i + 1 == op.samples) {
          EXPECT_TRUE(std::isnan(value)) << "unrecorded sample";
        } else {
          EXPECT_EQ(value, sample_value(r, op.op, i)) << "rank " << r << " sample " << i;
        }
        bool expect_failed = false;
        if (op.name == "put_tensor") expect_failed = i == put_failure(r);
        if (op.name == "get_tensor") expect_failed = r == 0 && i == 2;
        EXPECT_EQ(failed[row * op.samples + i], expect_failed ? 1 : 0)
            << "rank " << r << " sample " << i;
      }
    }
  }

  // /ranks: one element per rank.
  const auto n = static_cast<hsize_t>(size);
  for (const char* name : {"world_rank", "role", "node", "hostname", "cpus", "client_index",
                           "shard", "peak_rss_bytes", "cpus_used", "omp_threads"}) {
    EXPECT_EQ(shape_of(f, std::string("/ranks/") + name), std::vector<hsize_t>{n}) << name;
  }
  EXPECT_GT(H5Tequal(type_of_dataset(f, "/ranks/peak_rss_bytes").get(), H5T_NATIVE_INT64), 0);
  EXPECT_GT(H5Tequal(type_of_dataset(f, "/ranks/node").get(), H5T_NATIVE_INT32), 0);
  const auto world_rank = read_all<std::int32_t>(f, "/ranks/world_rank", H5T_NATIVE_INT32);
  const auto node = read_all<std::int32_t>(f, "/ranks/node", H5T_NATIVE_INT32);
  const auto client_index = read_all<std::int32_t>(f, "/ranks/client_index", H5T_NATIVE_INT32);
  const auto shard = read_all<std::int32_t>(f, "/ranks/shard", H5T_NATIVE_INT32);
  const auto rss = read_all<std::int64_t>(f, "/ranks/peak_rss_bytes", H5T_NATIVE_INT64);
  std::size_t role_length = 0;
  const auto role = read_fixed_strings(f, "/ranks/role", &role_length);
  const auto hostname = read_fixed_strings(f, "/ranks/hostname");
  const auto cpus = read_fixed_strings(f, "/ranks/cpus");
  const auto cpus_used = read_fixed_strings(f, "/ranks/cpus_used");
  const auto omp_threads = read_all<std::int32_t>(f, "/ranks/omp_threads", H5T_NATIVE_INT32);
  EXPECT_EQ(role_length, std::string("database").size());
  for (int r = 0; r < size; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    TimingRecorder unused;
    const PointRecord expected = scenario_record(r, size, unused);
    const auto i = static_cast<std::size_t>(r);
    EXPECT_EQ(world_rank[i], expected.rank.world_rank);
    EXPECT_EQ(role[i], expected.rank.role);
    EXPECT_EQ(node[i], expected.rank.node);
    EXPECT_EQ(hostname[i], expected.rank.hostname);
    EXPECT_EQ(cpus[i], expected.rank.cpus);
    EXPECT_EQ(cpus_used[i], expected.rank.cpus_used);
    EXPECT_EQ(omp_threads[i], expected.rank.omp_threads);
    EXPECT_EQ(client_index[i], expected.rank.client_index);
    EXPECT_EQ(shard[i], expected.rank.shard);
    EXPECT_EQ(rss[i], expected.rank.peak_rss_bytes);
  }

  // /database: the last rank only.
  EXPECT_EQ(read_all<std::int32_t>(f, "/database/world_rank", H5T_NATIVE_INT32),
            std::vector<std::int32_t>{size - 1});
  EXPECT_EQ(read_all<std::int32_t>(f, "/database/shard", H5T_NATIVE_INT32),
            std::vector<std::int32_t>{0});
  EXPECT_EQ(read_all<std::int32_t>(f, "/database/node", H5T_NATIVE_INT32),
            std::vector<std::int32_t>{(size - 1) / 2});
  EXPECT_GT(H5Tequal(type_of_dataset(f, "/database/requests").get(), H5T_NATIVE_UINT64), 0);
  EXPECT_EQ(read_all<std::uint64_t>(f, "/database/requests", H5T_NATIVE_UINT64),
            std::vector<std::uint64_t>{1000U + static_cast<unsigned>(size - 1)});
  EXPECT_EQ(read_all<std::uint64_t>(f, "/database/errors", H5T_NATIVE_UINT64),
            std::vector<std::uint64_t>{0});
  EXPECT_EQ(read_all<std::uint64_t>(f, "/database/memory_bytes", H5T_NATIVE_UINT64),
            std::vector<std::uint64_t>{(std::uint64_t{1} << 40) + 7});
}

TEST_F(PointWriterTest, ReplacesAnExistingFile) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  const std::string file_path = path("again");
  if (rank == 0) std::ofstream(file_path) << "old contents";
  MPI_Barrier(MPI_COMM_WORLD);
  TimingRecorder recorder;
  ASSERT_NO_THROW(
      write_point_file(MPI_COMM_WORLD, file_path, scenario_record(rank, size, recorder)));
  if (rank != 0) return;
  const auto file = open_file(file_path);
  EXPECT_EQ(attribute_int64(file.get(), "world_size"), size);
}

// A sub-communicator in reverse order: rows, /ranks and /database follow the rank in `comm`,
// not the world rank. Odd comm ranks are database ranks without timings; even comm ranks
// record "step" and a zero-sample "never".
TEST_F(PointWriterTest, RowsFollowRankInCommunicator) {
  const int world = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  MPI_Comm reversed = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, 0, size - 1 - world, &reversed);
  const int rank = rank_of(reversed);
  ASSERT_EQ(rank, size - 1 - world);

  TimingRecorder recorder;
  PointRecord record;
  record.parameters = {{"n", std::int64_t{1}}};
  record.rank.world_rank = world;
  record.rank.role = rank % 2 == 1 ? "database" : "client";
  record.rank.shard = rank % 2 == 1 ? rank / 2 : -1;
  record.rank.node = 7;
  if (rank % 2 == 1) {
    record.counters = {{"keys", static_cast<std::uint64_t>(10 * rank)},
                       {"bytes_in", static_cast<std::uint64_t>(rank)}};
  } else {
    const int step = recorder.add("step", 2);
    recorder.record(step, 0, 1.0 + rank);
    recorder.record(step, 1, 2.0 + rank);
    recorder.add("never", 0);
    record.timings = &recorder;
  }
  const std::string file_path = path("reversed");
  ASSERT_NO_THROW(write_point_file(reversed, file_path, record));
  MPI_Comm_free(&reversed);
  if (rank != 0) return;  // comm rank 0 (the last world rank) reads

  const auto file = open_file(file_path);
  const hid_t f = file.get();
  std::vector<std::int32_t> step_rows;
  std::vector<double> step_seconds;
  std::vector<std::int32_t> database_rows;
  std::vector<std::int32_t> database_world;
  std::vector<std::uint64_t> keys;
  for (int r = 0; r < size; ++r) {
    if (r % 2 == 0) {
      step_rows.push_back(r);
      step_seconds.push_back(1.0 + r);
      step_seconds.push_back(2.0 + r);
    } else {
      database_rows.push_back(r / 2);
      database_world.push_back(size - 1 - r);
      keys.push_back(static_cast<std::uint64_t>(10 * r));
    }
  }
  EXPECT_EQ(read_all<std::int32_t>(f, "/rows/step", H5T_NATIVE_INT32), step_rows);
  EXPECT_EQ(read_all<double>(f, "/timings/step", H5T_NATIVE_DOUBLE), step_seconds);
  EXPECT_EQ(shape_of(f, "/timings/never"), (std::vector<hsize_t>{step_rows.size(), 0}));
  EXPECT_EQ(shape_of(f, "/failures/never"), (std::vector<hsize_t>{step_rows.size(), 0}));
  EXPECT_EQ(shape_of(f, "/warmup/never"), std::vector<hsize_t>{0});
  EXPECT_EQ(read_all<std::int32_t>(f, "/rows/never", H5T_NATIVE_INT32), step_rows);
  EXPECT_EQ(read_all<std::int32_t>(f, "/database/shard", H5T_NATIVE_INT32), database_rows);
  EXPECT_EQ(read_all<std::int32_t>(f, "/database/world_rank", H5T_NATIVE_INT32), database_world);
  EXPECT_EQ(read_all<std::uint64_t>(f, "/database/keys", H5T_NATIVE_UINT64), keys);
  std::vector<std::int32_t> world_ranks;
  for (int r = 0; r < size; ++r) world_ranks.push_back(size - 1 - r);
  EXPECT_EQ(read_all<std::int32_t>(f, "/ranks/world_rank", H5T_NATIVE_INT32), world_ranks);
  const auto role = read_fixed_strings(f, "/ranks/role");
  EXPECT_EQ(role[1], "database");
  EXPECT_EQ(role[0], "client");
  // Empty strings everywhere still make a valid one-character fixed-length type.
  std::size_t hostname_length = 0;
  EXPECT_EQ(read_fixed_strings(f, "/ranks/hostname", &hostname_length)[0], "");
  EXPECT_EQ(hostname_length, 1U);
}

// Nothing recorded anywhere, no database ranks: every group and the /database columns still
// exist, with zero-size datasets.
TEST_F(PointWriterTest, EmptyRecordsGiveEmptyGroups) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  PointRecord record;
  record.rank.world_rank = rank;
  const std::string file_path = path("empty");
  ASSERT_NO_THROW(write_point_file(MPI_COMM_WORLD, file_path, record));
  if (rank != 0) return;
  const auto file = open_file(file_path);
  const hid_t f = file.get();
  for (const char* group :
       {"/parameters", "/timings", "/rows", "/warmup", "/failures", "/ranks", "/database"}) {
    EXPECT_TRUE(exists(f, group)) << group;
  }
  for (const char* name : {"/database/world_rank", "/database/shard", "/database/node"}) {
    EXPECT_EQ(shape_of(f, name), std::vector<hsize_t>{0}) << name;
    EXPECT_TRUE(read_all<std::int32_t>(f, name, H5T_NATIVE_INT32).empty());
  }
  EXPECT_EQ(read_all<std::int32_t>(f, "/ranks/world_rank", H5T_NATIVE_INT32).size(),
            static_cast<std::size_t>(size));
  EXPECT_EQ(attribute_int64(f, "format_version"), 1);
  EXPECT_EQ(attribute_count(f), 2);
}

TEST_F(PointWriterTest, RecordTablesConcatenateEveryRanksRowsInRankOrder) {
  const int rank = rank_of(MPI_COMM_WORLD);
  const int size = size_of(MPI_COMM_WORLD);
  PointRecord record;
  record.rank.world_rank = rank;
  // Rank r adds r rows (rank 0 none): value 10 r + i, batch r, label "r<r>-<i>".
  if (rank > 0) {
    std::vector<double> seconds;
    std::vector<std::int64_t> batch;
    std::vector<std::string> label;
    for (int i = 0; i < rank; ++i) {
      seconds.push_back(10.0 * rank + i);
      batch.push_back(rank);
      label.push_back("r" + std::to_string(rank) + "-" + std::to_string(i));
    }
    record.tables.push_back(
        {"requests", {{"seconds", seconds}, {"batch", batch}, {"label", label}}});
  }
  const std::string file_path = path("tables");
  ASSERT_NO_THROW(write_point_file(MPI_COMM_WORLD, file_path, record));
  if (rank != 0) return;
  const auto file = open_file(file_path);
  const hid_t f = file.get();
  const std::size_t total = static_cast<std::size_t>(size * (size - 1) / 2);
  const auto ranks = read_all<std::int32_t>(f, "/tables/requests/rank", H5T_NATIVE_INT32);
  const auto seconds = read_all<double>(f, "/tables/requests/seconds", H5T_NATIVE_DOUBLE);
  const auto batch = read_all<std::int64_t>(f, "/tables/requests/batch", H5T_NATIVE_INT64);
  const auto label = read_fixed_strings(f, "/tables/requests/label");
  ASSERT_EQ(ranks.size(), total);
  ASSERT_EQ(seconds.size(), total);
  ASSERT_EQ(label.size(), total);
  std::size_t row = 0;
  for (int r = 1; r < size; ++r) {
    for (int i = 0; i < r; ++i, ++row) {
      EXPECT_EQ(ranks[row], r);
      EXPECT_EQ(seconds[row], 10.0 * r + i);
      EXPECT_EQ(batch[row], r);
      const std::string expected = std::to_string(r) + "-" + std::to_string(i);
      EXPECT_EQ(label[row], "r" + expected);
    }
  }
}

}  // namespace
}  // namespace scalestudy::results
