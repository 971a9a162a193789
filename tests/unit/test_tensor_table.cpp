// Tensor storage on a database rank: reuse, accounting and the memory cap.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "store/mpi/tensor_table.hpp"

namespace scalestudy::store::mpi {
namespace {

TEST(TensorTable, StoresFindsAndErases) {
  TensorTable table(0);
  std::string error;
  const std::uint64_t dims[] = {2, 8};
  StoredTensor* t = table.reserve("a", DType::Float32, dims, 64, error);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bytes, 64U);
  EXPECT_EQ(t->dtype, DType::Float32);
  ASSERT_EQ(t->shape().size(), 2U);
  EXPECT_EQ(t->shape()[1], 8U);
  EXPECT_EQ(table.find("a"), t);
  EXPECT_EQ(table.find("b"), nullptr);
  EXPECT_EQ(table.size(), 1U);
  EXPECT_EQ(table.memory_bytes(), 64U);
  EXPECT_TRUE(table.erase("a"));
  EXPECT_FALSE(table.erase("a"));
  EXPECT_EQ(table.memory_bytes(), 0U);
  EXPECT_EQ(table.peak_memory_bytes(), 64U);
}

TEST(TensorTable, OverwriteOfTheSameSizeReusesTheBuffer) {
  TensorTable table(0);
  std::string error;
  const std::uint64_t dims[] = {1024};
  const std::byte* first = table.reserve("k", DType::UInt8, dims, 1024, error)->bytes_ptr();
  const std::byte* second = table.reserve("k", DType::UInt8, dims, 1024, error)->bytes_ptr();
  EXPECT_EQ(first, second);
  const std::uint64_t half[] = {600};
  EXPECT_EQ(table.reserve("k", DType::UInt8, half, 600, error)->bytes_ptr(), first);
  EXPECT_EQ(table.memory_bytes(), 1024U);  // capacity is what is accounted
  const std::uint64_t tiny[] = {10};
  StoredTensor* shrunk = table.reserve("k", DType::UInt8, tiny, 10, error);
  EXPECT_EQ(shrunk->capacity(), 10U);  // far smaller: the big buffer is given back
  EXPECT_EQ(table.memory_bytes(), 10U);
}

TEST(TensorTable, ABufferSomeoneStillReadsIsNeverOverwritten) {
  TensorTable table(0);
  std::string error;
  const std::uint64_t dims[] = {256};
  StoredTensor* first = table.reserve("k", DType::UInt8, dims, 256, error);
  std::memset(first->bytes_ptr(), 7, 256);
  const std::shared_ptr<AlignedBuffer> held = first->data;  // e.g. a queued model job
  StoredTensor* second = table.reserve("k", DType::UInt8, dims, 256, error);
  EXPECT_NE(second->bytes_ptr(), held->data());
  EXPECT_EQ(std::to_integer<int>(held->data()[255]), 7);
  EXPECT_EQ(table.memory_bytes(), 256U);  // the held buffer is no longer the table's
}

TEST(TensorTable, AdoptsAnOutputWithoutCopyingAndAccountsIt) {
  TensorTable table(1000);
  std::string error;
  Tensor out;
  out.dtype = DType::Float32;
  out.dims = {2, 5};
  out.data = AlignedBuffer(40);
  const std::byte* bytes = out.data.data();
  ASSERT_TRUE(table.adopt("y", std::move(out), error)) << error;
  const StoredTensor* stored = table.find("y");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->bytes_ptr(), bytes);
  EXPECT_EQ(stored->shape()[1], 5U);
  EXPECT_EQ(table.memory_bytes(), 40U);
  Tensor big;
  big.dims = {2000};
  big.dtype = DType::UInt8;
  big.data = AlignedBuffer(2000);
  EXPECT_FALSE(table.adopt("z", std::move(big), error));
  EXPECT_NE(error.find("db_max_memory=1000"), std::string::npos);
}

TEST(TensorTable, RefusesBeyondTheCapAndKeepsTheOldTensor) {
  TensorTable table(1000);
  std::string error;
  const std::uint64_t dims[] = {600};
  ASSERT_NE(table.reserve("a", DType::Int8, dims, 600, error), nullptr);
  EXPECT_EQ(table.reserve("b", DType::Int8, dims, 600, error), nullptr);
  EXPECT_NE(error.find("db_max_memory=1000"), std::string::npos) << error;
  EXPECT_EQ(table.find("b"), nullptr);
  // Replacing "a" by a bigger tensor frees its buffer first: 900 fits, 1001 does not.
  const std::uint64_t bigger[] = {900};
  ASSERT_NE(table.reserve("a", DType::Int8, bigger, 900, error), nullptr);
  const std::uint64_t too_big[] = {1001};
  EXPECT_EQ(table.reserve("a", DType::Int8, too_big, 1001, error), nullptr);
  EXPECT_EQ(table.find("a")->bytes, 900U);
  EXPECT_EQ(table.memory_bytes(), 900U);
}

TEST(TensorTable, ZeroByteTensorsTakeNoMemory) {
  TensorTable table(1);
  std::string error;
  const std::uint64_t dims[] = {0};
  StoredTensor* t = table.reserve("empty", DType::Float64, dims, 0, error);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bytes, 0U);
  EXPECT_EQ(table.memory_bytes(), 0U);
}

}  // namespace
}  // namespace scalestudy::store::mpi
