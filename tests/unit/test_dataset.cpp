// Datasets without MPI: the descriptor's encoding and inline plan, dataset files (complete or
// invisible, byte for byte), and the fs backend's reader pool.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/buffer_pool.hpp"
#include "store/dataset.hpp"
#include "store/fs/dataset_file.hpp"
#include "store/fs/reader_pool.hpp"
#include "store_error_of.hpp"

namespace scalestudy::store {
namespace {

namespace stdfs = std::filesystem;

using testing::error_of;

/// A temporary directory removed at the end of the test.
struct TempDir {
  TempDir() {
    path = stdfs::temp_directory_path() /
           ("scalestudy_dataset_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(path);
    stdfs::create_directories(path);
  }
  ~TempDir() { stdfs::remove_all(path); }
  stdfs::path path;
};

TEST(DataSet, KeepsTensorsAsViewsAndMetadataInOrder) {
  std::vector<float> a(10);
  std::iota(a.begin(), a.end(), 0.0F);
  const std::vector<std::int16_t> b = {1, -2, 3};
  DataSet d("agg");
  const std::uint64_t dims_a[] = {2, 5};
  const std::uint64_t dims_b[] = {3};
  d.add_tensor("a", a.data(), dims_a, DType::Float32);
  d.add_tensor("b", b.data(), dims_b, DType::Int16);
  d.add_meta_string("units", "m/s");
  d.add_meta_string("units", "K");
  d.add_meta_string("step", "7");
  EXPECT_EQ(d.tensor("a").data, reinterpret_cast<const std::byte*>(a.data()));  // not copied
  EXPECT_EQ(d.tensor("a").bytes, 40U);
  EXPECT_EQ(d.tensor("b").dims, (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(d.payload_bytes(), 46U);
  EXPECT_EQ(d.get_meta_strings("units"), (std::vector<std::string>{"m/s", "K"}));
  EXPECT_TRUE(d.get_meta_strings("none").empty());
  EXPECT_NE(error_of([&] { d.tensor("c"); }).find("has no tensor 'c' (it has a, b)"),
            std::string::npos);
}

TEST(DataSet, RefusesBadNamesAndDuplicateTensors) {
  EXPECT_NE(error_of([] { DataSet(""); }).find("is empty"), std::string::npos);
  EXPECT_NE(error_of([] { DataSet(std::string("a\0b", 3)); }).find("NUL"), std::string::npos);
  DataSet d("x");
  const float v = 1;
  const std::uint64_t dims[] = {1};
  d.add_tensor("t", &v, dims, DType::Float32);
  EXPECT_NE(error_of([&] {
              d.add_tensor("t", &v, dims, DType::Float32);
            }).find("dataset 'x' already has a tensor 't'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { d.add_tensor("u", &v, {}, DType::Float32); }).find("dimensions"),
            std::string::npos);
}

TEST(DataSetDescriptor, RoundTripsEveryFieldAndKnowsItsSize) {
  const double x[3] = {1, 2, 3};
  const std::uint8_t y[5] = {};
  DataSet d("{tag}name");
  const std::uint64_t dims_x[] = {3};
  const std::uint64_t dims_y[] = {1, 1, 5};
  d.add_tensor("x", x, dims_x, DType::Float64);
  d.add_tensor("y", y, dims_y, DType::UInt8);
  d.add_meta_string("k", "v1");
  d.add_meta_string("k", "");
  const DataSetDescriptor original = DataSetDescriptor::of(d);
  std::string encoded = original.encode();
  encoded += "trailing bytes are not the descriptor's";
  const auto bytes = std::as_bytes(std::span(encoded));
  const DataSetDescriptor decoded = DataSetDescriptor::decode(bytes);
  EXPECT_EQ(DataSetDescriptor::encoded_size(bytes), original.encode().size());
  EXPECT_EQ(decoded.name, "{tag}name");
  ASSERT_EQ(decoded.tensors.size(), 2U);
  EXPECT_EQ(decoded.tensors[1].name, "y");
  EXPECT_EQ(decoded.tensors[1].dtype, DType::UInt8);
  EXPECT_EQ(decoded.tensors[1].dims, (std::vector<std::uint64_t>{1, 1, 5}));
  EXPECT_EQ(decoded.tensors[0].bytes, 24U);
  EXPECT_EQ(decoded.metadata, original.metadata);
  EXPECT_EQ(decoded.payload_bytes(), 29U);
}

TEST(DataSetDescriptor, MalformedBytesAreRefusedNotRead) {
  DataSet d("n");
  const float v[2] = {};
  const std::uint64_t dims[] = {2};
  d.add_tensor("t", v, dims, DType::Float32);
  const std::string encoded = DataSetDescriptor::of(d).encode();
  for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
    const std::string prefix = encoded.substr(0, cut);
    EXPECT_NE(error_of([&] {
                DataSetDescriptor::decode(std::as_bytes(std::span(prefix)));
              }).find("dataset descriptor"),
              std::string::npos)
        << "cut at " << cut;
  }
  std::string bad_magic = encoded;
  bad_magic[0] = 'X';
  EXPECT_NE(error_of([&] {
              DataSetDescriptor::decode(std::as_bytes(std::span(bad_magic)));
            }).find("bad magic"),
            std::string::npos);
  std::string bad_dtype = encoded;
  bad_dtype[24 + 1] = static_cast<char>(99);  // after the fixed part and the 1-byte name
  EXPECT_NE(error_of([&] {
              DataSetDescriptor::decode(std::as_bytes(std::span(bad_dtype)));
            }).find("unknown dtype code 99"),
            std::string::npos);
}

TEST(DataSetDescriptor, OffsetsAreAlignedAndTheInlinePlanFitsItsCapacity) {
  DataSetDescriptor d;
  d.name = "d";
  for (const std::uint64_t bytes : {10, 64, 100000, 5, 1000}) {
    d.tensors.push_back({"t" + std::to_string(bytes), DType::UInt8, {bytes}, bytes});
  }
  std::uint64_t total = 0;
  const auto offsets = d.offsets(total);
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{0, 64, 128, 100160, 100224}));
  EXPECT_EQ(total, 101248U);
  // At most 64 bytes each, while 70 fit: 10 and 5 (64 would overflow after 10).
  EXPECT_EQ(d.inline_plan(64, 70), (std::vector<bool>{true, false, false, true, false}));
  EXPECT_EQ(d.inline_plan(0, 1 << 20), (std::vector<bool>(5, false)));
  EXPECT_EQ(d.inline_plan(1 << 20, 1 << 20), (std::vector<bool>(5, true)));
}

TEST(DataSetFile, RoundTripsByteForByteThroughOneBuffer) {
  TempDir dir;
  std::vector<float> a(1000);
  std::iota(a.begin(), a.end(), 0.5F);
  const std::vector<std::int64_t> b = {-1, 1LL << 40};
  DataSet d("file_dataset");
  const std::uint64_t dims_a[] = {10, 100};
  const std::uint64_t dims_b[] = {2};
  d.add_tensor("a", a.data(), dims_a, DType::Float32);
  d.add_tensor("b", b.data(), dims_b, DType::Int64);
  d.add_meta_string("who", "test");
  const std::string path = (dir.path / "d.ds").string();
  fs::write_dataset_file(path, d);
  EXPECT_EQ(std::distance(stdfs::directory_iterator(dir.path), stdfs::directory_iterator()), 1)
      << "the temporary file was left behind";
  BufferPool buffers;
  const DataSet back = fs::read_dataset_file(path, buffers);
  EXPECT_EQ(back.name(), "file_dataset");
  EXPECT_EQ(back.get_meta_strings("who"), std::vector<std::string>{"test"});
  EXPECT_EQ(back.tensor("a").dims, (std::vector<std::uint64_t>{10, 100}));
  EXPECT_EQ(std::memcmp(back.tensor("a").data, a.data(), a.size() * 4), 0);
  EXPECT_EQ(std::memcmp(back.tensor("b").data, b.data(), 16), 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(back.tensor("b").data) % kDataSetAlignment, 0U);
  EXPECT_TRUE(back.tensor("a").owner);  // the fetched buffer lives as long as the dataset
  EXPECT_EQ(buffers.free_bytes(), 0U);
}

TEST(DataSetFile, TruncatedOrMissingFilesAreRefusedNamingThePath) {
  TempDir dir;
  const float v[4] = {1, 2, 3, 4};
  DataSet d("t");
  const std::uint64_t dims[] = {4};
  d.add_tensor("v", v, dims, DType::Float32);
  const std::string path = (dir.path / "t.ds").string();
  fs::write_dataset_file(path, d);
  stdfs::resize_file(path, stdfs::file_size(path) - 1);
  BufferPool buffers;
  EXPECT_NE(error_of([&] {
              fs::read_dataset_file(path, buffers);
            }).find("malformed dataset file " + path),
            std::string::npos);
  bool missing = false;
  const std::string gone = (dir.path / "gone.ds").string();
  EXPECT_NE(error_of([&] { fs::read_dataset_file(gone, buffers, &missing); }).find(gone),
            std::string::npos);
  EXPECT_TRUE(missing);
  const std::string copy = (dir.path / "copy.ds").string();
  fs::write_dataset_file(path, d);
  fs::copy_file_atomically(path, copy);
  EXPECT_EQ(fs::read_dataset_file(copy, buffers).tensor("v").bytes, 16U);
  EXPECT_EQ(fs::temporary_path(copy).rfind((dir.path / ".copy.ds.tmp.").string(), 0), 0U);
}

TEST(BufferPool, ReleasedBuffersComeBackForTheSameSizeUpToItsLimit) {
  BufferPool pool(3000);
  const std::byte* first = nullptr;
  {
    const auto a = pool.acquire(1000);
    ASSERT_EQ(a->size(), 1000U);
    first = a->data();
    EXPECT_EQ(pool.free_bytes(), 0U);
  }
  EXPECT_EQ(pool.free_bytes(), 1000U);
  const auto other_size = pool.acquire(999);
  EXPECT_NE(other_size->data(), first) << "only a buffer of the same size is reused";
  const auto again = pool.acquire(1000);
  EXPECT_EQ(again->data(), first) << "the released buffer, not fresh memory";
  EXPECT_EQ(pool.free_bytes(), 0U);
  {
    std::vector<std::shared_ptr<AlignedBuffer>> many;
    for (int i = 0; i < 5; ++i) many.push_back(pool.acquire(1000));
  }
  EXPECT_EQ(pool.free_bytes(), 3000U) << "buffers beyond the limit are freed, not kept";
  std::shared_ptr<AlignedBuffer> outlives;
  {
    BufferPool gone;
    outlives = gone.acquire(64);
  }
  outlives.reset();  // its pool is gone: the buffer is simply freed
  EXPECT_EQ(pool.acquire(0)->size(), 0U);
  EXPECT_EQ(pool.free_bytes(), 3000U);
}

TEST(ReaderPool, RunsEveryIndexOnceOnItsThreadsAndRethrows) {
  for (const int threads : {1, 4}) {
    fs::ReaderPool pool(threads);
    for (int round = 0; round < 3; ++round) {
      std::vector<std::atomic<int>> runs(100);
      pool.run(runs.size(), [&](std::size_t i) { ++runs[i]; });
      for (const auto& count : runs) EXPECT_EQ(count.load(), 1) << threads << " threads";
    }
    std::atomic<int> done{0};
    EXPECT_THROW(pool.run(10,
                          [&](std::size_t i) {
                            ++done;
                            if (i == 3) throw StoreError("index 3");
                          }),
                 StoreError);
    EXPECT_EQ(done.load(), 10) << "every index runs even after one threw";
    pool.run(0, [](std::size_t) { FAIL(); });
  }
}

}  // namespace
}  // namespace scalestudy::store
