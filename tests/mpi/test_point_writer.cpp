// MPI tests of the parallel-HDF5 point writer: write collectively, read back on one rank.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "results/h5_handle.hpp"
#include "results/point_writer.hpp"
#include "results/timing_recorder.hpp"

namespace scalestudy::results {
namespace {

using detail::h5_check;
using detail::H5Handle;

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

int size_of(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

// ---------------------------------------------------------------------------------------------
// Reading back with the HDF5 C API (serial driver, one rank).

H5Handle open_file(const std::string& path) {
  detail::silence_hdf5_errors();
  return H5Handle::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path);
}

bool exists(hid_t file, const std::string& path) {
  return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
}

std::vector<hsize_t> shape_of(hid_t file, const std::string& path) {
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
  const int rank = h5_check(H5Sget_simple_extent_ndims(space.get()), "ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  h5_check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "dims");
  return dims;
}

H5Handle type_of_dataset(hid_t file, const std::string& path) {
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  return H5Handle::checked(H5Dget_type(dataset.get()), "H5Dget_type");
}

// Reads a whole dataset; `memory_type` H5I_INVALID_HID reads with the file type.
template <class T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t memory_type) {
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
  const auto n = h5_check(H5Sget_simple_extent_npoints(space.get()), "npoints");
  std::vector<T> data(static_cast<std::size_t>(n));
  if (n == 0) return data;
  const auto type = H5Handle::checked(H5Dget_type(dataset.get()), "H5Dget_type");
  const hid_t memory = memory_type >= 0 ? memory_type : type.get();
  h5_check(H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "H5Dread",
           path);
  return data;
}

::testing::AssertionResult is_bool_enum(hid_t type) {
  if (H5Tget_class(type) != H5T_ENUM) return ::testing::AssertionFailure() << "not an enum";
  if (H5Tget_size(type) != 1) return ::testing::AssertionFailure() << "not 1 byte";
  if (H5Tget_nmembers(type) != 2) return ::testing::AssertionFailure() << "not 2 members";
  const char* expected[] = {"FALSE", "TRUE"};
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    const std::string text = name != nullptr ? name : "";
    H5free_memory(name);
    std::int8_t value = -1;
    h5_check(H5Tget_member_value(type, i, &value), "H5Tget_member_value");
    if (text != expected[i] || value != static_cast<std::int8_t>(i)) {
      return ::testing::AssertionFailure() << "member " << i << " is " << text << "=" << +value;
    }
  }
  const auto base = H5Handle::checked(H5Tget_super(type), "H5Tget_super");
  if (H5Tequal(base.get(), H5T_NATIVE_INT8) <= 0) {
    return ::testing::AssertionFailure() << "base type is not int8";
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> read_fixed_strings(hid_t file, const std::string& path,
                                            std::size_t* length = nullptr) {
  const auto type = type_of_dataset(file, path);
  EXPECT_EQ(H5Tget_class(type.get()), H5T_STRING) << path;
  EXPECT_EQ(H5Tis_variable_str(type.get()), 0) << path;
  EXPECT_EQ(H5Tget_strpad(type.get()), H5T_STR_NULLPAD) << path;
  const std::size_t size = H5Tget_size(type.get());
  if (length != nullptr) *length = size;
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  std::string bytes(n * size, '\0');
  if (n > 0) {
    h5_check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
             "H5Dread", path);
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text = bytes.substr(i * size, size);
    text.resize(text.find('\0') == std::string::npos ? size : text.find('\0'));
    out.push_back(text);
  }
  return out;
}

H5Handle open_attribute(hid_t object, const std::string& name) {
  return H5Handle::checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), "H5Aopen", name);
}

std::int64_t attribute_int64(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_EQ(H5Tget_class(type.get()), H5T_INTEGER) << name;
  EXPECT_EQ(H5Tget_size(type.get()), 8U) << name;
  EXPECT_EQ(H5Tget_sign(type.get()), H5T_SGN_2) << name;
  std::int64_t value = 0;
  h5_check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "H5Aread", name);
  return value;
}

double attribute_double(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_EQ(H5Tget_class(type.get()), H5T_FLOAT) << name;
  EXPECT_EQ(H5Tget_size(type.get()), 8U) << name;
  double value = 0;
  h5_check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), "H5Aread", name);
  return value;
}

bool attribute_bool(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_TRUE(is_bool_enum(type.get())) << name;
  std::int8_t value = -1;
  h5_check(H5Aread(attribute.get(), type.get(), &value), "H5Aread", name);
  EXPECT_TRUE(value == 0 || value == 1) << name << " = " << +value;
  return value != 0;
}

std::string attribute_string(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_EQ(H5Tget_class(type.get()), H5T_STRING) << name;
  EXPECT_GT(H5Tis_variable_str(type.get()), 0) << name;
  EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8) << name;
  char* value = nullptr;
  h5_check(H5Aread(attribute.get(), type.get(), &value), "H5Aread", name);
  std::string text = value != nullptr ? value : "";
  H5free_memory(value);
  return text;
}

int attribute_count(hid_t object) {
  H5O_info_t info;
  h5_check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), "H5Oget_info2");
  return static_cast<int>(info.num_attrs);
}

std::string expected_hdf5_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// ---------------------------------------------------------------------------------------------
// A shared temporary directory: rank 0 creates it and broadcasts its name.

class PointWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[4096] = {};
    if (rank_of(MPI_COMM_WORLD) == 0) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "scalestudy-point-writer-XXXXXX").string();
      ASSERT_NE(mkdtemp(pattern.data()), nullptr);
      pattern.copy(name, sizeof name - 1);
    }
    MPI_Bcast(name, sizeof name, MPI_CHAR, 0, MPI_COMM_WORLD);
    directory_ = name;
  }

  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank_of(MPI_COMM_WORLD) == 0 && !directory_.empty()) {
      std::filesystem::remove_all(directory_);
    }
  }

  std::string path(const std::string& name) const { return directory_ + "/" + name + ".h5"; }

  std::string directory_;
};

// Every rank must throw a ResultsError whose message contains `fragment`, and none may hang.
void expect_results_error_everywhere(const std::function<void()>& call,
                                     const std::string& fragment) {
  std::string message;
  bool other = false;
  try {
    call();
  } catch (const ResultsError& e) {
    message = e.what();
  } catch (...) {
    other = true;
  }
  EXPECT_FALSE(other) << "an exception other than ResultsError";
  EXPECT_NE(message.find(fragment), std::string::npos)
      << "expected a ResultsError mentioning '" << fragment << "', got '" << message << "'";
  EXPECT_EQ(message.find("HDF5-DIAG"), std::string::npos);
  int threw = message.empty() ? 0 : 1;
  int everywhere = 0;
  MPI_Allreduce(&threw, &everywhere, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  EXPECT_EQ(everywhere, 1) << "some rank did not throw";
}

// ---------------------------------------------------------------------------------------------
// The main scenario: clients 0..n-2 record put_tensor (all) and get_tensor (even ranks), the
// last rank is a database rank that records serve and has counters.

double sample_value(int rank, int op, std::size_t sample) {
  return rank * 1000.0 + op * 100.0 + static_cast<double>(sample) + 0.25;
}

constexpr std::size_t kPutSamples = 5;
constexpr std::size_t kPutWarmup = 2;
constexpr std::size_t kGetSamples = 3;
constexpr std::size_t kGetWarmup = 1;
constexpr std::size_t kServeSamples = 4;

std::size_t put_failure(int rank) { return static_cast<std::size_t>(rank + 1) % kPutSamples; }

std::string long_text() {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "key_" + std::to_string(i) + ": value\n";
  return text;
}

std::vector<Attribute> scenario_parameters() {
  return {{"iterations", std::int64_t{10}},
          {"message_bytes", std::int64_t{(std::int64_t{1} << 40) + 3}},
          {"ratio", 0.1},
          {"verify", true},
          {"shuffle", false},
          {"backend", std::string("mpi")},
          {"label", std::string("na\xc3\xafve \xe2\x9c\x93")},
          {"empty", std::string()}};
}

std::vector<Attribute> scenario_provenance(int size) {
  return {{"git_sha", std::string("0123abcd")},  {"git_dirty", true},
          {"world_size", std::int64_t{size}},    {"parameters_yaml", long_text()},
          {"format_version", std::int64_t{99}},  // the writer's value replaces these two
          {"hdf5_version", std::string("bogus")}};
}

PointRecord scenario_record(int rank, int size, TimingRecorder& recorder) {
  const bool database = rank == size - 1;
  PointRecord record;
  record.parameters = scenario_parameters();
  record.provenance = scenario_provenance(size);
  record.rank.world_rank = rank;
  record.rank.role = database ? "database" : "client";
  record.rank.node = rank / 2;
  record.rank.hostname = "node" + std::to_string(rank / 2) + (rank == 0 ? ".example.org" : "");
  record.rank.cpus = std::to_string(2 * rank) + "-" + std::to_string(2 * rank + 1);
  record.rank.client_index = database ? -1 : rank;
  record.rank.shard = database ? 0 : -1;
  record.rank.peak_rss_bytes = (std::int64_t{1} << 33) + rank;
  // Lengths differ across ranks (and one is empty), so the fixed string width is the largest.
  record.rank.cpus_used = rank == 1 ? "" : std::to_string(rank) + std::string(rank % 3, '+');
  record.rank.omp_threads = rank + 1;
  if (database) {
    const int serve = recorder.add("serve", kServeSamples);
    for (std::size_t i = 0; i + 1 < kServeSamples; ++i) {  // the last sample stays NaN
      recorder.record(serve, i, sample_value(rank, 2, i));
    }
    record.counters = {{"requests", 1000U + static_cast<unsigned>(rank)},
                       {"errors", 0},
                       {"memory_bytes", (std::uint64_t{1} << 40) + 7}};
  } else {
    const int put = recorder.add("put_tensor", kPutSamples, kPutWarmup);
    for (std::size_t i = 0; i < kPutSamples; ++i) recorder.record(put, i, sample_value(rank, 0, i));
    recorder.fail(put, put_failure(rank));
    if (rank % 2 == 0) {
      const int get = recorder.add("get_tensor", kGetSamples, kGetWarmup);
      for (std::size_t i = 0; i < kGetSamples; ++i) {
        recorder.record(get, i, sample_value(rank, 1, i));
      }
      if (rank == 0) recorder.fail(get, 2);
    }
  }
  record.timings = &recorder;
  return record;
}

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

// ---------------------------------------------------------------------------------------------
// Inconsistent input: the same ResultsError on every rank, no file, no hang.

void expect_no_file(const std::string& file_path) {
  EXPECT_FALSE(std::filesystem::exists(file_path));
  EXPECT_FALSE(std::filesystem::exists(file_path + ".tmp"));
}

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
