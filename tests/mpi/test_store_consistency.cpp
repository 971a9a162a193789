// A put racing reads of the same key on every tensor backend: a reader sees whole tensors only,
// never an older one after a newer. Registered only for rank counts with a writer and at least
// one reader (3 and 4 ranks: one database rank, the rest clients).
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mpi/store_session.hpp"

namespace scalestudy::testing {
namespace {

using store::DType;

class StoreConsistency : public ::testing::TestWithParam<std::string> {};

// A database rank answers a read of a large tensor without waiting for the client to take it;
// a put to the same key meanwhile must go to other memory, never into what is being read.
TEST_P(StoreConsistency, ReadersNeverSeeAPutHalfDone) {
  run_session(standard_with_shards(1, GetParam()), [](ClientEnv& env) {
    int clients = 0;
    MPI_Comm_size(env.clients, &clients);
    ASSERT_GE(clients, 2) << "client 0 writes while the others read: launch at least 3 ranks";
    constexpr std::size_t kCount = 1 << 18;  // 1 MiB of int32, above every inline threshold
    constexpr std::int32_t kRounds = 1000;
    const std::uint64_t dims[] = {kCount};
    std::vector<std::int32_t> data(kCount, 0);
    if (env.client == 0) env.store.put_tensor("shared", data.data(), dims, DType::Int32);
    MPI_Barrier(env.clients);
    std::int32_t newest = 0;  // a reader's newest round so far
    for (std::int32_t round = 1; round <= kRounds; ++round) {
      if (env.client == 0) {
        std::fill(data.begin(), data.end(), round);
        env.store.put_tensor("shared", data.data(), dims, DType::Int32);
        continue;
      }
      env.store.unpack_tensor("shared", data.data(), dims, DType::Int32);
      const auto mixed =
          std::find_if(data.begin(), data.end(), [&](std::int32_t v) { return v != data.front(); });
      ASSERT_EQ(mixed, data.end()) << "round " << round << ": element " << (mixed - data.begin())
                                   << " is " << *mixed << " where the first is " << data.front();
      ASSERT_GE(data.front(), newest) << "round " << round << ": read an older put after a newer";
      ASSERT_LE(data.front(), kRounds);
      newest = data.front();
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConsistency, ::testing::ValuesIn(built_backends()),
                         backend_test_name);

}  // namespace
}  // namespace scalestudy::testing
