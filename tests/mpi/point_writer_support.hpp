// Support of the point writer's MPI tests: a shared temporary directory, reading a file back
// with the HDF5 C API on one rank, the main scenario's records, and errors raised everywhere.
#pragma once

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

namespace scalestudy::results::support {

using detail::h5_check;
using detail::H5Handle;

using detail::h5_check;
using detail::H5Handle;

inline int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

inline int size_of(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

// ---------------------------------------------------------------------------------------------
// Reading back with the HDF5 C API (serial driver, one rank).

inline H5Handle open_file(const std::string& path) {
  detail::silence_hdf5_errors();
  return H5Handle::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path);
}

inline bool exists(hid_t file, const std::string& path) {
  return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
}

inline std::vector<hsize_t> shape_of(hid_t file, const std::string& path) {
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
  const int rank = h5_check(H5Sget_simple_extent_ndims(space.get()), "ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  h5_check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "dims");
  return dims;
}

inline H5Handle type_of_dataset(hid_t file, const std::string& path) {
  const auto dataset = H5Handle::checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "H5Dopen2");
  return H5Handle::checked(H5Dget_type(dataset.get()), "H5Dget_type");
}

// Reads a whole dataset; `memory_type` H5I_INVALID_HID reads with the file type.
template <class T>
inline std::vector<T> read_all(hid_t file, const std::string& path, hid_t memory_type) {
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

inline ::testing::AssertionResult is_bool_enum(hid_t type) {
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

inline std::vector<std::string> read_fixed_strings(hid_t file, const std::string& path,
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

inline H5Handle open_attribute(hid_t object, const std::string& name) {
  return H5Handle::checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), "H5Aopen", name);
}

inline std::int64_t attribute_int64(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_EQ(H5Tget_class(type.get()), H5T_INTEGER) << name;
  EXPECT_EQ(H5Tget_size(type.get()), 8U) << name;
  EXPECT_EQ(H5Tget_sign(type.get()), H5T_SGN_2) << name;
  std::int64_t value = 0;
  h5_check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "H5Aread", name);
  return value;
}

inline double attribute_double(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_EQ(H5Tget_class(type.get()), H5T_FLOAT) << name;
  EXPECT_EQ(H5Tget_size(type.get()), 8U) << name;
  double value = 0;
  h5_check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), "H5Aread", name);
  return value;
}

inline bool attribute_bool(hid_t object, const std::string& name) {
  const auto attribute = open_attribute(object, name);
  const auto type = H5Handle::checked(H5Aget_type(attribute.get()), "H5Aget_type");
  EXPECT_TRUE(is_bool_enum(type.get())) << name;
  std::int8_t value = -1;
  h5_check(H5Aread(attribute.get(), type.get(), &value), "H5Aread", name);
  EXPECT_TRUE(value == 0 || value == 1) << name << " = " << +value;
  return value != 0;
}

inline std::string attribute_string(hid_t object, const std::string& name) {
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

inline int attribute_count(hid_t object) {
  H5O_info_t info;
  h5_check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), "H5Oget_info2");
  return static_cast<int>(info.num_attrs);
}

inline std::string expected_hdf5_version() {
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
inline void expect_results_error_everywhere(const std::function<void()>& call,
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

inline double sample_value(int rank, int op, std::size_t sample) {
  return rank * 1000.0 + op * 100.0 + static_cast<double>(sample) + 0.25;
}

inline constexpr std::size_t kPutSamples = 5;
inline constexpr std::size_t kPutWarmup = 2;
inline constexpr std::size_t kGetSamples = 3;
inline constexpr std::size_t kGetWarmup = 1;
inline constexpr std::size_t kServeSamples = 4;

inline std::size_t put_failure(int rank) {
  return static_cast<std::size_t>(rank + 1) % kPutSamples;
}

inline std::string long_text() {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "key_" + std::to_string(i) + ": value\n";
  return text;
}

inline std::vector<Attribute> scenario_parameters() {
  return {{"iterations", std::int64_t{10}},
          {"message_bytes", std::int64_t{(std::int64_t{1} << 40) + 3}},
          {"ratio", 0.1},
          {"verify", true},
          {"shuffle", false},
          {"backend", std::string("mpi")},
          {"label", std::string("na\xc3\xafve \xe2\x9c\x93")},
          {"empty", std::string()}};
}

inline std::vector<Attribute> scenario_provenance(int size) {
  return {{"git_sha", std::string("0123abcd")},  {"git_dirty", true},
          {"world_size", std::int64_t{size}},    {"parameters_yaml", long_text()},
          {"format_version", std::int64_t{99}},  // the writer's value replaces these two
          {"hdf5_version", std::string("bogus")}};
}

inline PointRecord scenario_record(int rank, int size, TimingRecorder& recorder) {
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

inline void expect_no_file(const std::string& file_path) {
  EXPECT_FALSE(std::filesystem::exists(file_path));
  EXPECT_FALSE(std::filesystem::exists(file_path + ".tmp"));
}

}  // namespace scalestudy::results::support
