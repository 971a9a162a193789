// Micro-benchmarks of the store's per-request work: slot hashing, frame encoding and decoding,
// tensor table lookups. Run: build/bench/bench_store_hot_paths --benchmark_format=json
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "store/mpi/tensor_table.hpp"
#include "store/protocol.hpp"
#include "store/sharding.hpp"

namespace {

using namespace scalestudy::store;

void BM_HashSlot(benchmark::State& state) {
  const std::string key = "throughput_rank_" + std::to_string(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(hash_slot(key));
}
BENCHMARK(BM_HashSlot)->Arg(7)->Arg(123456);

void BM_EncodeDecodeRequest(benchmark::State& state) {
  std::vector<std::byte> frame(protocol::kMaxFrameBytes);
  const std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)));
  const std::uint64_t dims[] = {1, payload.size() / 4};
  protocol::RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::PutTensor);
  header.dtype = static_cast<std::uint8_t>(DType::Float32);
  for (auto _ : state) {
    const std::size_t size =
        protocol::encode_request(frame, header, dims, "throughput_rank_0", payload);
    benchmark::DoNotOptimize(protocol::decode_request(std::span(frame.data(), size)));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncodeDecodeRequest)->Arg(0)->Arg(1024)->Arg(16384);

void BM_EncodeDecodeReplyHeader(benchmark::State& state) {
  // The tensor header a reply carries: status, dtype and dims (no payload).
  std::vector<std::byte> frame(protocol::kMaxFrameBytes);
  const std::uint64_t dims[] = {8, 3, 224, 224};
  protocol::ReplyHeader header;
  header.dtype = static_cast<std::uint8_t>(DType::Float32);
  header.payload_bytes = 8 * 3 * 224 * 224 * 4;
  for (auto _ : state) {
    const std::size_t size = protocol::encode_reply(frame, header, dims, {});
    const protocol::Reply reply = protocol::decode_reply(std::span(frame.data(), size));
    benchmark::DoNotOptimize(tensor_bytes(reply.dims(), DType::Float32));
  }
}
BENCHMARK(BM_EncodeDecodeReplyHeader);

void BM_NamesField(benchmark::State& state) {
  // The key field of a run_model request: model, inputs and outputs.
  const std::vector<std::string_view> names = {"resnet_model", "{inference_rank_7}.processed",
                                               "{inference_rank_7}.output"};
  for (auto _ : state) {
    const std::string field = protocol::encode_names(names);
    benchmark::DoNotOptimize(protocol::decode_names(field));
  }
}
BENCHMARK(BM_NamesField);

void BM_TableFind(benchmark::State& state) {
  mpi::TensorTable table(0);
  std::string error;
  const std::uint64_t dims[] = {1, 256};
  for (int k = 0; k < state.range(0); ++k) {
    table.reserve("throughput_rank_" + std::to_string(k), DType::Float32, dims, 1024, error);
  }
  for (auto _ : state) benchmark::DoNotOptimize(table.find("throughput_rank_0"));
}
BENCHMARK(BM_TableFind)->Arg(1)->Arg(10000);

void BM_TableOverwrite(benchmark::State& state) {
  mpi::TensorTable table(0);
  std::string error;
  const std::uint64_t dims[] = {1, 256};
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.reserve("throughput_rank_0", DType::Float32, dims, 1024, error));
  }
}
BENCHMARK(BM_TableOverwrite);

}  // namespace

BENCHMARK_MAIN();
