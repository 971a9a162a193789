// A tensor larger than one MPI message (2 GiB) travels in chunks, byte for byte.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstring>

#include "mpi/store_session.hpp"
#include "store/control/transport.hpp"

namespace scalestudy::testing {
namespace {

TEST(MpiStoreLarge, TensorAboveTwoGibibytesRoundTrips) {
  constexpr std::uint64_t kBytes = (std::uint64_t{9} << 28);  // 2.25 GiB: three chunks
  static_assert(kBytes > store::control::kChunkBytes * 2);
  run_session(standard_with_shards(1), [&](ClientEnv& env) {
    if (env.client != 0) return;
    store::AlignedBuffer data(kBytes);
    auto* words = reinterpret_cast<std::uint64_t*>(data.data());
    for (std::uint64_t i = 0; i < kBytes / 8; ++i) words[i] = i * 0x9E3779B97F4A7C15ULL;
    const std::uint64_t dims[] = {kBytes / 8};
    env.store.put_tensor("large", data.data(), dims, store::DType::Int64);
    store::AlignedBuffer out(kBytes);
    std::memset(out.data(), 0, kBytes);
    env.store.unpack_tensor("large", out.data(), dims, store::DType::Int64);
    EXPECT_EQ(std::memcmp(out.data(), data.data(), kBytes), 0);
    env.store.delete_tensor("large");
  });
}

}  // namespace
}  // namespace scalestudy::testing
