// Database-rank handling of model and script requests: loading, queueing jobs on the model
// runtime, and answering clients when their jobs finish (from the progress loop).
#include <cstring>
#include <new>

#include "core/error.hpp"
#include "store/control/transport.hpp"
#include "store/mpi/mpi_server.hpp"

namespace scalestudy::store::mpi {

using control::discard_bytes;
using control::kPutChunkBytes;
using control::recv_bytes;
namespace tags = control::tags;

using protocol::ReplyHeader;
using protocol::Request;
using protocol::Status;

namespace {

constexpr const char* kNoRuntime =
    "this database rank has no model runtime (scalestudy was built without libtorch)";

}  // namespace

std::optional<AlignedBuffer> MpiServer::take_payload(const Request& request, int source,
                                                     std::string& error) {
  if (request.has_inline_payload()) {
    AlignedBuffer bytes(request.inline_payload.size());
    if (!request.inline_payload.empty()) {
      std::memcpy(bytes.data(), request.inline_payload.data(), request.inline_payload.size());
    }
    return bytes;
  }
  const std::uint64_t size = request.header.payload_bytes;
  const int tag = tags::payload(request.header.channel);
  try {
    AlignedBuffer bytes(size);
    recv_bytes(comm_, bytes.data(), size, source, tag, kPutChunkBytes);
    return bytes;
  } catch (const std::bad_alloc&) {
    discard_bytes(comm_, scratch_.data(), size, source, tag, kPutChunkBytes);
    error = "the database rank could not allocate " + std::to_string(size) + " bytes";
    return std::nullopt;
  }
}

void MpiServer::set_model(const Request& request, int source) {
  std::string error;
  const std::optional<AlignedBuffer> bytes = take_payload(request, source, error);
  if (!bytes) return reply_error(source, request, Status::OutOfMemory, error);
  if (!options_.runtime) return reply_error(source, request, Status::ModelError, kNoRuntime);
  try {
    options_.runtime->set_model(std::string(request.key),
                                std::span<const std::byte>(bytes->data(), bytes->size()),
                                protocol::model_options(request));
  } catch (const StoreError& e) {
    return reply_error(source, request, Status::ModelError, e.what());
  }
  counters_.bytes_in += bytes->size();
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply(source, request.header.channel, ok);
}

void MpiServer::set_script(const Request& request, int source) {
  std::string error;
  const std::optional<AlignedBuffer> bytes = take_payload(request, source, error);
  if (!bytes) return reply_error(source, request, Status::OutOfMemory, error);
  if (!options_.runtime) return reply_error(source, request, Status::ModelError, kNoRuntime);
  try {
    options_.runtime->set_script(
        std::string(request.key),
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  } catch (const StoreError& e) {
    return reply_error(source, request, Status::ModelError, e.what());
  }
  ReplyHeader ok;
  ok.request_id = request.header.request_id;
  reply(source, request.header.channel, ok);
}

void MpiServer::run(const Request& request, int source) {
  const bool script = request.op() == Op::RunScript;
  const auto names = protocol::decode_names(request.key);
  const std::size_t first_input = script ? 2 : 1;
  const std::uint64_t inputs = request.header.value;
  if (names.size() < first_input + inputs || inputs == 0) {
    return reply_error(source, request, Status::BadRequest,
                       "a " + std::string(op_name(request.op())) + " request names its key, " +
                           (script ? "function, " : "") + "at least one input and its outputs");
  }
  if (!options_.runtime) return reply_error(source, request, Status::ModelError, kNoRuntime);
  ModelJob job;
  job.arrival_s = steady_seconds();
  job.script = script;
  job.key = std::string(names[0]);
  if (script) job.function = std::string(names[1]);
  const bool known =
      script ? options_.runtime->has_script(job.key) : options_.runtime->has_model(job.key);
  if (!known) {
    return reply_error(source, request, Status::ModelError,
                       std::string(script ? "no script" : "no model") + " '" + job.key +
                           "' on this database rank (set it first, or poll_model for it)");
  }
  for (std::size_t i = first_input; i < first_input + inputs; ++i) {
    const StoredTensor* tensor = table_.find(names[i]);
    if (tensor == nullptr) {
      return reply_error(source, request, Status::UnknownKey,
                         "input '" + std::string(names[i]) + "' is not on shard " +
                             std::to_string(options_.control.shard));
    }
    const Dims shape = tensor->shape();
    job.inputs.push_back({tensor->dtype, std::vector<std::uint64_t>(shape.begin(), shape.end()),
                          tensor->bytes_ptr(), tensor->bytes, tensor->data});
  }
  PendingJob pending;
  pending.source = source;
  pending.channel = request.header.channel;
  pending.request_id = request.header.request_id;
  pending.op = request.op();
  pending.key = job.key;
  for (std::size_t i = first_input + inputs; i < names.size(); ++i) {
    pending.outputs.emplace_back(names[i]);
  }
  job.ticket = next_ticket_++;
  jobs_.emplace(job.ticket, std::move(pending));
  options_.runtime->submit(std::move(job));
}

bool MpiServer::collect_results() {
  results_.clear();
  options_.runtime->take_results(results_);
  for (auto& result : results_) {
    const auto it = jobs_.find(result.ticket);
    if (it == jobs_.end()) continue;
    const PendingJob job = std::move(it->second);
    jobs_.erase(it);
    std::string error = result.error;
    if (error.empty() && result.outputs.size() != job.outputs.size()) {
      error = std::string(job.op == Op::RunScript ? "script" : "model") + " '" + job.key +
              "' returned " + std::to_string(result.outputs.size()) + " tensors for " +
              std::to_string(job.outputs.size()) + " output keys";
    }
    Status status = Status::ModelError;
    for (std::size_t i = 0; error.empty() && i < job.outputs.size(); ++i) {
      if (!table_.adopt(job.outputs[i], std::move(result.outputs[i]), error)) {
        status = Status::OutOfMemory;
      }
    }
    records_.push_back({job.key, job.op == Op::RunScript, !error.empty(), result.queue_s,
                        result.compute_s, result.batch_size});
    if (!error.empty()) {
      reply_error(job.source, job.channel, job.request_id, status, error);
      continue;
    }
    ReplyHeader ok;
    ok.request_id = job.request_id;
    reply(job.source, job.channel, ok);
  }
  return !results_.empty();
}

std::vector<ModelLoad> MpiServer::model_loads() const {
  return options_.runtime ? options_.runtime->loads() : std::vector<ModelLoad>{};
}

}  // namespace scalestudy::store::mpi
