// Tensor storage on a database rank: reuse, accounting and the memory cap.
#include <gtest/gtest.h>

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
  const std::byte* first = table.reserve("k", DType::UInt8, dims, 1024, error)->data.data();
  const std::byte* second = table.reserve("k", DType::UInt8, dims, 1024, error)->data.data();
  EXPECT_EQ(first, second);
  const std::uint64_t half[] = {600};
  EXPECT_EQ(table.reserve("k", DType::UInt8, half, 600, error)->data.data(), first);
  EXPECT_EQ(table.memory_bytes(), 1024U);  // capacity is what is accounted
  const std::uint64_t tiny[] = {10};
  StoredTensor* shrunk = table.reserve("k", DType::UInt8, tiny, 10, error);
  EXPECT_EQ(shrunk->data.size(), 10U);  // far smaller: the big buffer is given back
  EXPECT_EQ(table.memory_bytes(), 10U);
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
