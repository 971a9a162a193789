// The dynamic batcher's choices (which jobs form a batch, when it waits), without torch.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "inference/job_queue.hpp"

namespace {

using scalestudy::inference::BatchPolicy;
using scalestudy::inference::JobQueue;
using scalestudy::store::DType;
using scalestudy::store::ModelJob;
using scalestudy::store::steady_seconds;

ModelJob job(std::uint64_t ticket, std::vector<std::uint64_t> dims, DType dtype = DType::Float32,
             double arrival_s = 0) {
  ModelJob j;
  j.ticket = ticket;
  j.key = "m";
  j.arrival_s = arrival_s == 0 ? steady_seconds() : arrival_s;
  scalestudy::store::InputTensor input;
  input.dtype = dtype;
  input.dims = std::move(dims);
  j.inputs.push_back(std::move(input));
  return j;
}

std::vector<std::uint64_t> tickets(const std::vector<ModelJob>& batch) {
  std::vector<std::uint64_t> out;
  for (const ModelJob& j : batch) out.push_back(j.ticket);
  return out;
}

TEST(InferenceBatching, RowsAreTheSharedFirstDimension) {
  using scalestudy::inference::detail::batch_rows;
  EXPECT_EQ(batch_rows(job(1, {3, 10})), 3u);
  ModelJob two = job(2, {3, 10});
  two.inputs.push_back(two.inputs.front());
  EXPECT_EQ(batch_rows(two), 3u);
  two.inputs.back().dims = {4, 10};
  EXPECT_FALSE(batch_rows(two));
  ModelJob none;
  EXPECT_FALSE(batch_rows(none));
}

TEST(InferenceBatching, CompatibleMeansSameDtypeAndTrailingDims) {
  using scalestudy::inference::detail::batch_compatible;
  EXPECT_TRUE(batch_compatible(job(1, {1, 3, 32, 32}), job(2, {5, 3, 32, 32})));
  EXPECT_FALSE(batch_compatible(job(1, {1, 3, 32, 32}), job(2, {1, 3, 32, 16})));
  EXPECT_FALSE(batch_compatible(job(1, {1, 3, 32, 32}), job(2, {1, 3, 32})));
  EXPECT_FALSE(batch_compatible(job(1, {1, 3}), job(2, {1, 3}, DType::Float64)));
}

TEST(InferenceBatching, SelectsCompatibleJobsThatFitInOrder) {
  using scalestudy::inference::detail::select_batch;
  std::deque<ModelJob> queue;
  queue.push_back(job(1, {1, 8}));
  queue.push_back(job(2, {1, 4}));  // other trailing dims: left for a later batch
  queue.push_back(job(3, {2, 8}));
  queue.push_back(job(4, {2, 8}));  // would make 5 rows > 4: skipped
  queue.push_back(job(5, {1, 8}));
  EXPECT_EQ(select_batch(queue, 4), (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(select_batch(queue, 0), (std::vector<std::size_t>{0}));
  EXPECT_EQ(select_batch(queue, 1), (std::vector<std::size_t>{0}));
}

TEST(InferenceBatching, AJobLargerThanTheMaximumRunsAlone) {
  using scalestudy::inference::detail::select_batch;
  std::deque<ModelJob> queue;
  queue.push_back(job(1, {9, 8}));
  queue.push_back(job(2, {1, 8}));
  EXPECT_EQ(select_batch(queue, 4), (std::vector<std::size_t>{0}));
}

TEST(InferenceQueue, WithoutBatchingEveryJobIsAlone) {
  JobQueue queue(BatchPolicy{0, 10'000'000});  // the delay only matters with batching on
  for (std::uint64_t t = 1; t <= 3; ++t) {
    ModelJob j = job(t, {1, 8});
    ASSERT_TRUE(queue.push(j));
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(tickets(queue.next_batch()), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(tickets(queue.next_batch()), (std::vector<std::uint64_t>{2}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(InferenceQueue, AFullBatchDoesNotWaitForTheDelay) {
  JobQueue queue(BatchPolicy{2, 10'000'000});
  ModelJob a = job(1, {1, 8});
  ModelJob b = job(2, {1, 8});
  ASSERT_TRUE(queue.push(a));
  ASSERT_TRUE(queue.push(b));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(tickets(queue.next_batch()), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(InferenceQueue, WaitsUntilArrivalPlusDelayForMoreJobs) {
  constexpr int kDelayUs = 500'000;
  JobQueue queue(BatchPolicy{4, kDelayUs});
  ModelJob first = job(1, {1, 8});
  const double arrival = first.arrival_s;
  ASSERT_TRUE(queue.push(first));
  std::thread late([&queue] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ModelJob second = job(2, {1, 8});
    queue.push(second);
  });
  const std::vector<ModelJob> batch = queue.next_batch();
  const double waited = steady_seconds() - arrival;
  late.join();
  // The second job joined the first's batch, which then waited out the delay (4 rows not reached).
  EXPECT_EQ(tickets(batch), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_GE(waited, kDelayUs * 1e-6 * 0.99);
}

TEST(InferenceQueue, AnOldJobDoesNotWaitAgain) {
  JobQueue queue(BatchPolicy{4, 1'000'000});
  ModelJob old = job(1, {1, 8}, DType::Float32, steady_seconds() - 2.0);
  ASSERT_TRUE(queue.push(old));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(tickets(queue.next_batch()), (std::vector<std::uint64_t>{1}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}

TEST(InferenceQueue, CloseDrainsWithoutWaitingAndStopDrops) {
  JobQueue closing(BatchPolicy{4, 10'000'000});
  ModelJob a = job(1, {1, 8});
  ASSERT_TRUE(closing.push(a));
  closing.close();
  ModelJob refused = job(2, {1, 8});
  EXPECT_FALSE(closing.push(refused));
  EXPECT_EQ(refused.ticket, 2u);  // left as it was
  EXPECT_EQ(tickets(closing.next_batch()), (std::vector<std::uint64_t>{1}));
  EXPECT_TRUE(closing.next_batch().empty());

  JobQueue stopping(BatchPolicy{0, 0});
  ModelJob b = job(3, {1, 8});
  ASSERT_TRUE(stopping.push(b));
  stopping.stop();
  EXPECT_TRUE(stopping.next_batch().empty());
  EXPECT_EQ(stopping.size(), 0u);
}

TEST(InferenceQueue, StopWakesAWaitingWorker) {
  JobQueue queue(BatchPolicy{0, 0});
  std::thread worker([&queue] { EXPECT_TRUE(queue.next_batch().empty()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  queue.stop();
  worker.join();
}

}  // namespace
