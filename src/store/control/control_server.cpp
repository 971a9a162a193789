// The progress loop of every database rank: frames, the client lifecycle, the raw baseline.
#include "store/control/control_server.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "core/backoff.hpp"
#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"

namespace scalestudy::store::control {

using protocol::ReplyHeader;
using protocol::Request;
using protocol::Status;

namespace {
/// Longest the loop waits for a busy handler's work before it looks at MPI again.
constexpr std::chrono::microseconds kBusyWait{1000};
/// Until the raw baseline starts, a rank whose data goes elsewhere sees only hello and goodbye.
constexpr std::chrono::microseconds kControlIdleSleep{500};
}  // namespace

ControlOptions control_options(const BackendContext& context, bool data_elsewhere) {
  ControlOptions options;
  options.shard = context.layout.ranks[static_cast<std::size_t>(context.world_rank)].index;
  options.expected_clients = context.layout.clients_of_shard(options.shard);
  const core::WaitPolicy wait = wait_policy(context.params);
  options.spin = wait.spin;
  options.max_sleep = wait.max_sleep;
  if (data_elsewhere) options.control_idle_sleep = kControlIdleSleep;
  return options;
}

ControlServer::ControlServer(MPI_Comm comm, ControlOptions options)
    : comm_(comm),
      options_(options),
      request_frame_(protocol::kMaxFrameBytes),
      reply_frame_(protocol::kMaxFrameBytes) {
  raw_requests_.fill(MPI_REQUEST_NULL);
  MPI_Comm_rank(comm_, &world_rank_);
  counters_.shard = options_.shard;
  counters_.world_rank = world_rank_;
}

ControlServer::~ControlServer() { release_raw(); }

void ControlServer::release_raw() {
  for (auto& request : raw_requests_) {
    if (request == MPI_REQUEST_NULL) continue;
    // Persistent receives still posted at shutdown: cancel, complete, free.
    MPI_Cancel(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    MPI_Request_free(&request);
  }
  raw_active_ = false;
}

void ControlServer::serve(RequestHandler* handler) {
  handler_ = handler;
  core::Backoff backoff(options_.spin, options_.max_sleep);
  // While the handler is busy (models compute): wait for its work, looking at MPI again after
  // 2, 4, 8 ... microseconds, at most every kBusyWait. Requests that arrive right after replies
  // (clients sending their next inference) are seen at once and can join the batch being
  // formed; a long computation is interrupted only ~1000 times a second.
  std::chrono::microseconds busy_wait{2};
  const auto busy = [this] { return handler_ != nullptr && handler_->busy(); };
  // Every client waits for its model results before it says goodbye, so nothing is left in
  // flight when the last goodbye arrives; the condition only guards against one that does not.
  while (goodbyes_ < options_.expected_clients || busy()) {
    bool progressed = poll_requests();
    if (raw_active_) progressed = poll_raw() || progressed;
    if (handler_ != nullptr) progressed = handler_->progress() || progressed;
    if (progressed) {
      backoff.reset();
      busy_wait = std::chrono::microseconds{2};
    } else if (busy()) {
      handler_->wait(busy_wait);
      busy_wait = std::min(busy_wait * 2, kBusyWait);
    } else if (options_.control_idle_sleep.count() > 0 && !raw_active_) {
      std::this_thread::sleep_for(options_.control_idle_sleep);
    } else {
      backoff.pause();
    }
  }
  if (handler_ != nullptr) handler_->finish();
  release_raw();
  handler_ = nullptr;
}

bool ControlServer::poll_requests() {
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

bool ControlServer::poll_raw() {
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

void ControlServer::handle_frame(std::span<const std::byte> frame, int source) {
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

void ControlServer::handle_request(const Request& request, int source) {
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
    case Op::Info: {
      ShardCounters snapshot = counters_;
      if (handler_ != nullptr) handler_->add_counters(snapshot);
      reply(source, channel, ok, {}, {},
            std::span<const std::byte>(reinterpret_cast<const std::byte*>(&snapshot),
                                       sizeof(snapshot)));
      return;
    }
    case Op::RawBegin:
      raw_begin(request, source);
      return;
    default:
      break;
  }
  if (handler_ == nullptr) {
    reply_error(source, request, Status::BadRequest,
                "operation not served by this database rank (its data is not on MPI)");
    return;
  }
  handler_->handle(request, source);
}

void ControlServer::raw_begin(const Request& request, int source) {
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

void ControlServer::reply(int dest, int channel, ReplyHeader header, Dims dims,
                          std::string_view text, std::span<const std::byte> inline_payload) {
  reply_parts(dest, channel, header, protocol::PayloadParts(&inline_payload, 1), dims, text);
}

void ControlServer::reply_parts(int dest, int channel, ReplyHeader header,
                                protocol::PayloadParts parts, Dims dims, std::string_view text) {
  const std::size_t size = protocol::encode_reply_parts(reply_frame_, header, dims, text, parts);
  core::mpi_call(MPI_Send(reply_frame_.data(), static_cast<int>(size), MPI_BYTE, dest,
                          tags::reply(channel), comm_),
                 "MPI_Send(reply)");
}

void ControlServer::reply_error(int dest, const Request& request, Status status,
                                std::string_view message) {
  reply_error(dest, request.header.channel, request.header.request_id, status, message);
}

void ControlServer::reply_error(int dest, int channel, std::uint64_t request_id, Status status,
                                std::string_view message) {
  ++counters_.errors;
  ReplyHeader header;
  header.status = static_cast<std::uint8_t>(status);
  header.request_id = request_id;
  reply(dest, channel, header, {}, message);
}

}  // namespace scalestudy::store::control
