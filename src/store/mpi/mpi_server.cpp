// The mpi store's verbs on a database rank: tensors in, tensors out, payload sends in flight.
#include "store/mpi/mpi_server.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"

namespace scalestudy::store::mpi {

using control::discard_bytes;
using control::kPutChunkBytes;
using control::post_send_bytes;
using control::recv_bytes;
namespace tags = control::tags;

using protocol::ReplyHeader;
using protocol::Request;
using protocol::Status;

MpiServer::MpiServer(MPI_Comm comm, ServerOptions options)
    : comm_(comm),
      options_(std::move(options)),
      control_(comm, options_.control),
      counters_(control_.counters()),
      table_(options_.max_memory_bytes),
      scratch_(kPutChunkBytes) {
  counters_.max_memory_bytes = options_.max_memory_bytes;
}

MpiServer::~MpiServer() { finish(); }

void MpiServer::finish() {
  // Every client has said goodbye after taking its replies: these complete.
  for (auto& send : payload_sends_) {
    if (send.requests.empty()) continue;
    MPI_Waitall(static_cast<int>(send.requests.size()), send.requests.data(), MPI_STATUSES_IGNORE);
    retire(send);
  }
}

ShardCounters MpiServer::counters() const {
  ShardCounters c = control_.counters();
  add_counters(c);
  return c;
}

void MpiServer::add_counters(ShardCounters& c) const {
  c.keys = table_.size();
  c.memory_bytes = table_.memory_bytes();
  c.peak_memory_bytes = table_.peak_memory_bytes();
}

bool MpiServer::progress() {
  // A payload on its way counts as work, as a blocking send would: the client that takes it
  // asks again right after, and a sleeping rank would answer late.
  bool progressed = false;
  if (payload_sends_in_flight_ > 0) {
    progress_payload_sends();
    progressed = true;
  }
  if (!jobs_.empty()) progressed = collect_results() || progressed;
  return progressed;
}

void MpiServer::wait(std::chrono::microseconds timeout) {
  options_.runtime->wait_for_results(timeout);
}

void MpiServer::handle(const Request& request, int source) {
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  const int channel = request.header.channel;
  switch (request.op()) {
    case Op::PutTensor:
      put(request, source);
      return;
    case Op::GetTensor:
    case Op::UnpackTensor:
      read(request, source);
      return;
    case Op::DeleteTensor:
      if (!table_.erase(request.key)) {
        reply_error(source, request, Status::UnknownKey, "no tensor under this key");
        return;
      }
      reply(source, channel, ok);
      return;
    case Op::TensorExists:
      ok.value = table_.find(request.key) != nullptr ? 1 : 0;
      reply(source, channel, ok);
      return;
    case Op::SetModel:
      set_model(request, source);
      return;
    case Op::SetScript:
      set_script(request, source);
      return;
    case Op::RunModel:
    case Op::RunScript:
      run(request, source);
      return;
    case Op::ModelExists:
      ok.value = options_.runtime && (options_.runtime->has_model(request.key) ||
                                      options_.runtime->has_script(request.key))
                     ? 1
                     : 0;
      reply(source, channel, ok);
      return;
    case Op::PutDataset:
      put_dataset(request, source);
      return;
    case Op::GetDataset:
      get_dataset(request, source);
      return;
    case Op::AppendToList:
      append_to_list(request, source);
      return;
    case Op::DeleteDataset:
    case Op::DatasetExists:
    case Op::ListLength:
    case Op::ListRange:
    case Op::DeleteList:
      dataset_or_list(request, source);
      return;
    default:
      break;
  }
  reply_error(source, request, Status::BadRequest, "operation not served by the mpi store");
}

void MpiServer::put(const Request& request, int source) {
  // A payload that is not inline is already on its way: every refusal drains it first.
  const std::uint64_t announced = request.has_inline_payload() ? 0 : request.header.payload_bytes;
  auto refuse = [&](Status status, const std::string& message) {
    discard_bytes(comm_, scratch_.data(), announced, source, tags::payload(request.header.channel),
                  kPutChunkBytes);
    reply_error(source, request, status, message);
  };
  const auto dtype = dtype_from_code(request.header.dtype);
  if (!dtype)
    return refuse(Status::BadRequest, "unknown dtype code " + std::to_string(request.header.dtype));
  std::uint64_t bytes = 0;
  try {
    bytes = tensor_bytes(request.dims(), *dtype);
  } catch (const StoreError& error) {
    return refuse(Status::BadRequest, error.what());
  }
  if (request.header.payload_bytes != bytes) {
    return refuse(Status::BadRequest, "payload of " + std::to_string(request.header.payload_bytes) +
                                          " bytes for a tensor of " + std::to_string(bytes) +
                                          " bytes");
  }
  if (payload_sends_in_flight_ > 0) finish_sends_of(request.key);
  std::string error;
  StoredTensor* tensor = nullptr;
  try {
    tensor = table_.reserve(request.key, *dtype, request.dims(), bytes, error);
  } catch (const std::bad_alloc&) {
    error = "the database rank could not allocate " + std::to_string(bytes) + " bytes";
  }
  if (tensor == nullptr) return refuse(Status::OutOfMemory, error);
  if (request.has_inline_payload()) {
    if (bytes > 0) std::memcpy(tensor->bytes_ptr(), request.inline_payload.data(), bytes);
  } else {
    recv_bytes(comm_, tensor->bytes_ptr(), bytes, source, tags::payload(request.header.channel),
               kPutChunkBytes);
  }
  counters_.bytes_in += bytes;
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply(source, request.header.channel, ok);
}

void MpiServer::read(const Request& request, int source) {
  const StoredTensor* tensor = table_.find(request.key);
  if (tensor == nullptr) {
    reply_error(source, request, Status::UnknownKey, "no tensor under this key");
    return;
  }
  if (request.op() == Op::UnpackTensor) {
    const auto dtype = dtype_from_code(request.header.dtype);
    if (!dtype || *dtype != tensor->dtype || request.header.payload_bytes != tensor->bytes) {
      const std::string wanted =
          dtype ? tensor_text(*dtype, request.dims(), request.header.payload_bytes)
                : "dtype code " + std::to_string(request.header.dtype) + " (" +
                      std::to_string(request.header.payload_bytes) + " bytes)";
      reply_error(source, request, Status::Mismatch,
                  "stored tensor is " + tensor_text(tensor->dtype, tensor->shape(), tensor->bytes) +
                      " but the buffer is " + wanted);
      return;
    }
  }
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  ok.dtype = static_cast<std::uint8_t>(tensor->dtype);
  ok.payload_bytes = tensor->bytes;
  const std::span<const std::byte> data(tensor->bytes_ptr(), tensor->bytes);
  const bool fits_inline =
      tensor->bytes <= request.header.value && tensor->bytes <= protocol::kMaxInlineBytes;
  if (fits_inline) {
    ok.flags = protocol::kInlinePayload;
    reply(source, request.header.channel, ok, tensor->shape(), {}, data);
  } else {
    reply(source, request.header.channel, ok, tensor->shape());
    send_payload(source, request.header.channel, *tensor);
  }
  counters_.bytes_out += tensor->bytes;
}

void MpiServer::send_payload(int dest, int channel, const StoredTensor& tensor) {
  if (tensor.bytes == 0) return;
  auto free = std::find_if(payload_sends_.begin(), payload_sends_.end(),
                           [](const PayloadSend& send) { return send.requests.empty(); });
  if (free == payload_sends_.end()) free = payload_sends_.emplace(payload_sends_.end());
  free->held = tensor.data;
  post_send_bytes(comm_, tensor.bytes_ptr(), tensor.bytes, dest, tags::payload(channel),
                  free->requests);
  ++payload_sends_in_flight_;
}

void MpiServer::finish_sends_of(std::string_view key) {
  const StoredTensor* tensor = table_.find(key);
  if (tensor == nullptr || tensor->data.use_count() == 1) return;
  for (auto& send : payload_sends_) {
    if (send.requests.empty() || send.held != tensor->data) continue;
    core::mpi_call(MPI_Waitall(static_cast<int>(send.requests.size()), send.requests.data(),
                               MPI_STATUSES_IGNORE),
                   "MPI_Waitall(payload sends)");
    retire(send);
  }
}

void MpiServer::retire(PayloadSend& send) {
  send.requests.clear();
  send.held.reset();
  --payload_sends_in_flight_;
}

void MpiServer::progress_payload_sends() {
  for (auto& send : payload_sends_) {
    if (send.requests.empty()) continue;
    int done = 0;
    core::mpi_call(MPI_Testall(static_cast<int>(send.requests.size()), send.requests.data(), &done,
                               MPI_STATUSES_IGNORE),
                   "MPI_Testall(payload sends)");
    if (done == 0) continue;
    retire(send);
  }
}

}  // namespace scalestudy::store::mpi
