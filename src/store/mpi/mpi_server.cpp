// Database-rank progress loop of the mpi store.
#include "store/mpi/mpi_server.hpp"

#include <sched.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>
#include <thread>

#include "core/backoff.hpp"
#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/mpi/transport.hpp"

namespace scalestudy::store::mpi {

using protocol::ReplyHeader;
using protocol::Request;
using protocol::Status;

namespace {
/// Longest the progress loop waits for model results before it looks at MPI again.
constexpr std::chrono::microseconds kModelWait{1000};
}  // namespace

MpiServer::MpiServer(MPI_Comm comm, ServerOptions options)
    : comm_(comm),
      options_(std::move(options)),
      table_(options_.max_memory_bytes),
      request_frame_(protocol::kMaxFrameBytes),
      reply_frame_(protocol::kMaxFrameBytes),
      scratch_(kPutChunkBytes) {
  raw_requests_.fill(MPI_REQUEST_NULL);
  MPI_Comm_rank(comm_, &world_rank_);
  counters_.shard = options_.shard;
  counters_.world_rank = world_rank_;
  counters_.max_memory_bytes = options_.max_memory_bytes;
}

MpiServer::~MpiServer() { release_requests(); }

void MpiServer::release_requests() {
  // Every client has said goodbye after taking its replies: these complete.
  for (auto& send : payload_sends_) {
    if (send.requests.empty()) continue;
    MPI_Waitall(static_cast<int>(send.requests.size()), send.requests.data(), MPI_STATUSES_IGNORE);
    retire(send);
  }
  for (auto& request : raw_requests_) {
    if (request == MPI_REQUEST_NULL) continue;
    // Persistent receives still posted at shutdown: cancel, complete, free.
    MPI_Cancel(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    MPI_Request_free(&request);
  }
  raw_active_ = false;
}

ShardCounters MpiServer::counters() const {
  ShardCounters c = counters_;
  c.keys = table_.size();
  c.memory_bytes = table_.memory_bytes();
  c.peak_memory_bytes = table_.peak_memory_bytes();
  return c;
}

void MpiServer::serve() {
  core::Backoff backoff(options_.spin, options_.max_sleep);
  // While models compute: wait for their results, looking at MPI again after 2, 4, 8 ...
  // microseconds, at most every kModelWait. Requests that arrive right after replies (clients
  // sending their next inference) are seen at once and can join the batch being formed; a
  // long computation is interrupted only ~1000 times a second.
  std::chrono::microseconds model_wait{2};
  // Every client waits for its model results before it says goodbye, so no job is left when
  // the last goodbye arrives; the condition only guards against a client that does not.
  while (goodbyes_ < options_.expected_clients || !jobs_.empty()) {
    bool progressed = poll_requests();
    if (raw_active_) progressed = poll_raw() || progressed;
    // A payload on its way counts as work, as a blocking send would: the client that takes it
    // asks again right after, and a sleeping rank would answer late.
    if (payload_sends_in_flight_ > 0) {
      progress_payload_sends();
      progressed = true;
    }
    if (!jobs_.empty()) progressed = collect_results() || progressed;
    if (progressed) {
      backoff.reset();
      model_wait = std::chrono::microseconds{2};
    } else if (!jobs_.empty()) {
      options_.runtime->wait_for_results(model_wait);
      model_wait = std::min(model_wait * 2, kModelWait);
    } else if (options_.control_idle_sleep.count() > 0 && !raw_active_) {
      std::this_thread::sleep_for(options_.control_idle_sleep);
    } else {
      backoff.pause();
    }
  }
  release_requests();
}

bool MpiServer::poll_requests() {
  // A matched probe gives the frame's size before it is received: an oversized message is
  // never received into the frame buffer (Open MPI's single-copy path would write past it).
  int found = 0;
  MPI_Message message = MPI_MESSAGE_NULL;
  MPI_Status status;
  core::mpi_call(MPI_Improbe(MPI_ANY_SOURCE, tags::kRequest, comm_, &found, &message, &status),
                 "MPI_Improbe(requests)");
  if (!found) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  const int source = status.MPI_SOURCE;
  if (count < 0 || static_cast<std::size_t>(count) > request_frame_.size()) {
    // MPI cannot drop a message: take it off the queue, then refuse it.
    std::vector<std::byte> oversized(count > 0 ? static_cast<std::size_t>(count) : 0);
    core::mpi_call(MPI_Mrecv(oversized.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE),
                   "MPI_Mrecv(oversized request)");
    ++counters_.requests;
    reply_error(source, Request{}, Status::BadRequest,
                "request frame of " + std::to_string(count) + " bytes is longer than " +
                    std::to_string(request_frame_.size()) + ", the largest a client sends");
    return true;
  }
  core::mpi_call(MPI_Mrecv(request_frame_.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE),
                 "MPI_Mrecv(request)");
  handle_frame(std::span<const std::byte>(request_frame_.data(), static_cast<std::size_t>(count)),
               source);
  return true;
}

bool MpiServer::poll_raw() {
  int index = MPI_UNDEFINED;
  int done = 0;
  MPI_Status status;
  core::mpi_call(MPI_Testany(kRawSlots, raw_requests_.data(), &index, &done, &status),
                 "MPI_Testany(raw baseline)");
  if (!done || index == MPI_UNDEFINED) return false;
  if (index == kRawPutSlot) {
    core::mpi_call(MPI_Send(&raw_byte_, 1, MPI_BYTE, status.MPI_SOURCE, tags::kRawReply, comm_),
                   "MPI_Send(raw put reply)");
  } else {
    core::mpi_call(MPI_Send(raw_buffer_.data(), static_cast<int>(raw_bytes_), MPI_BYTE,
                            status.MPI_SOURCE, tags::kRawReply, comm_),
                   "MPI_Send(raw get reply)");
  }
  core::mpi_call(MPI_Start(&raw_requests_[static_cast<std::size_t>(index)]), "MPI_Start(raw)");
  return true;
}

void MpiServer::handle_frame(std::span<const std::byte> frame, int source) {
  ++counters_.requests;
  Request request;
  try {
    request = protocol::decode_request(frame);
  } catch (const StoreError& error) {
    // Answer on the channel the frame names if its header is readable, else channel 0.
    Request partial;
    if (frame.size() >= sizeof(protocol::RequestHeader)) {
      std::memcpy(&partial.header, frame.data(), sizeof(protocol::RequestHeader));
      if (partial.header.channel >= tags::kMaxChannels) partial.header.channel = 0;
    }
    reply_error(source, partial, Status::BadRequest, error.what());
    return;
  }
  ++counters_.requests_by_op[request.header.op];
  try {
    handle_request(request, source);
  } catch (const std::bad_alloc&) {
    reply_error(source, request, Status::OutOfMemory,
                "the database rank could not allocate memory for the request");
  } catch (const StoreError& error) {
    reply_error(source, request, Status::BadRequest, error.what());
  }
}

void MpiServer::handle_request(const Request& request, int source) {
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  const int channel = request.header.channel;
  if (channel >= tags::kMaxChannels) throw StoreError("channel out of range");
  switch (request.op()) {
    case Op::Hello:
      if (request.header.value != protocol::kVersion) {
        reply_error(source, request, Status::BadRequest,
                    "client speaks protocol " + std::to_string(request.header.value) +
                        ", this database rank speaks " + std::to_string(protocol::kVersion) +
                        ": rebuild both from the same scalestudy");
        return;
      }
      ok.value = request_frame_.size();
      reply(source, channel, ok);
      return;
    case Op::Goodbye:
      // No reply: the client is gone. It counts the errors it raised elsewhere (redis backend).
      ++goodbyes_;
      counters_.errors += request.header.value;
      return;
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
    case Op::Info: {
      const ShardCounters snapshot = counters();
      reply(source, channel, ok, {}, {},
            std::span<const std::byte>(reinterpret_cast<const std::byte*>(&snapshot),
                                       sizeof(snapshot)));
      return;
    }
    case Op::RawBegin:
      raw_begin(request, source);
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

void MpiServer::raw_begin(const Request& request, int source) {
  const std::uint64_t bytes = request.header.payload_bytes;
  if (bytes > static_cast<std::uint64_t>(INT_MAX)) {
    reply_error(source, request, Status::BadRequest,
                "the raw MPI baseline sends single messages of at most 2 GiB");
    return;
  }
  if (raw_active_ && bytes != raw_bytes_) {
    reply_error(source, request, Status::BadRequest,
                "raw baseline already runs with " + std::to_string(raw_bytes_) +
                    "-byte messages; every client of a shard must use the same size");
    return;
  }
  if (!raw_active_) {
    raw_buffer_ = AlignedBuffer(bytes);
    if (bytes > 0) std::memset(raw_buffer_.data(), 0, bytes);  // fault pages in now, not timed
    raw_bytes_ = bytes;
    const int count = static_cast<int>(bytes);
    core::mpi_call(MPI_Recv_init(raw_buffer_.data(), count, MPI_BYTE, MPI_ANY_SOURCE, tags::kRawPut,
                                 comm_, &raw_requests_[kRawPutSlot]),
                   "MPI_Recv_init(raw put)");
    core::mpi_call(MPI_Recv_init(&raw_byte_, 1, MPI_BYTE, MPI_ANY_SOURCE, tags::kRawGet, comm_,
                                 &raw_requests_[kRawGetSlot]),
                   "MPI_Recv_init(raw get)");
    core::mpi_call(MPI_Start(&raw_requests_[kRawPutSlot]), "MPI_Start(raw put)");
    core::mpi_call(MPI_Start(&raw_requests_[kRawGetSlot]), "MPI_Start(raw get)");
    raw_active_ = true;
  }
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply(source, request.header.channel, ok);
}

void MpiServer::reply(int dest, int channel, ReplyHeader header, Dims dims, std::string_view text,
                      std::span<const std::byte> inline_payload) {
  reply_parts(dest, channel, header, protocol::PayloadParts(&inline_payload, 1), dims, text);
}

void MpiServer::reply_parts(int dest, int channel, ReplyHeader header, protocol::PayloadParts parts,
                            Dims dims, std::string_view text) {
  const std::size_t size = protocol::encode_reply_parts(reply_frame_, header, dims, text, parts);
  core::mpi_call(MPI_Send(reply_frame_.data(), static_cast<int>(size), MPI_BYTE, dest,
                          tags::reply(channel), comm_),
                 "MPI_Send(reply)");
}

void MpiServer::reply_error(int dest, const Request& request, Status status,
                            std::string_view message) {
  reply_error(dest, request.header.channel, request.header.request_id, status, message);
}

void MpiServer::reply_error(int dest, int channel, std::uint64_t request_id, Status status,
                            std::string_view message) {
  ++counters_.errors;
  ReplyHeader header;
  header.status = static_cast<std::uint8_t>(status);
  header.request_id = request_id;
  reply(dest, channel, header, {}, message);
}

}  // namespace scalestudy::store::mpi
