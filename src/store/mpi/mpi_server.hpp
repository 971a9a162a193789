// The database side of the mpi backend: every Store verb served from tensor memory, models
// run by a model runtime, inside the control plane's progress loop.
#pragma once

#include <mpi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/control/control_server.hpp"
#include "store/dataset.hpp"
#include "store/model_runtime.hpp"
#include "store/mpi/tensor_table.hpp"
#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::mpi {

/// How a database rank of the mpi backend serves.
struct ServerOptions {
  control::ControlOptions control;
  std::uint64_t max_memory_bytes = 0;
  /// Runs models and scripts; none: model requests are refused with a clear error.
  std::unique_ptr<ModelRuntime> runtime;
};

class MpiServer final : private control::RequestHandler {
 public:
  /// `comm` is the store communicator.
  MpiServer(MPI_Comm comm, ServerOptions options);
  ~MpiServer() override;
  MpiServer(const MpiServer&) = delete;
  MpiServer& operator=(const MpiServer&) = delete;

  /// Serves requests until every expected client has said goodbye (control::ControlServer). A
  /// bad request gets an error reply and never stops the loop. Throws MpiError only if MPI
  /// itself fails.
  void serve() { control_.serve(this); }

  ShardCounters counters() const;

  /// Every model and script request served, in completion order.
  const std::vector<RequestRecord>& request_records() const { return records_; }

  /// Load and first-call times of every model and script (empty without a runtime).
  std::vector<ModelLoad> model_loads() const;

 private:
  // The verbs beyond the control plane's (control::RequestHandler).
  void handle(const protocol::Request& request, int source) override;
  bool progress() override;
  bool busy() const override { return !jobs_.empty(); }
  void wait(std::chrono::microseconds timeout) override;
  void finish() override;
  void add_counters(ShardCounters& counters) const override;

  void put(const protocol::Request& request, int source);
  void read(const protocol::Request& request, int source);
  // Models and scripts (mpi_server_models.cpp).
  void set_model(const protocol::Request& request, int source);
  void set_script(const protocol::Request& request, int source);
  void run(const protocol::Request& request, int source);
  // Datasets and lists (mpi_server_datasets.cpp).
  void put_dataset(const protocol::Request& request, int source);
  void get_dataset(const protocol::Request& request, int source);
  void append_to_list(const protocol::Request& request, int source);
  /// DeleteDataset, DatasetExists, ListLength, ListRange, DeleteList.
  void dataset_or_list(const protocol::Request& request, int source);
  /// Receives and drops the payloads of `descriptor`'s tensors that did not travel inline.
  void drain_dataset(const DataSetDescriptor& descriptor, const std::vector<bool>& plan, int source,
                     int channel);
  /// Replies to finished model jobs; returns whether any finished.
  bool collect_results();
  /// The request's payload in one buffer (inline, or received behind the frame). Returns an
  /// empty optional after draining it when it cannot be held; `error` says why.
  std::optional<AlignedBuffer> take_payload(const protocol::Request& request, int source,
                                            std::string& error);
  void reply(int dest, int channel, protocol::ReplyHeader header, Dims dims = {},
             std::string_view text = {}, std::span<const std::byte> inline_payload = {}) {
    control_.reply(dest, channel, header, dims, text, inline_payload);
  }
  void reply_parts(int dest, int channel, protocol::ReplyHeader header,
                   protocol::PayloadParts parts, Dims dims = {}, std::string_view text = {}) {
    control_.reply_parts(dest, channel, header, parts, dims, text);
  }
  void reply_error(int dest, const protocol::Request& request, protocol::Status status,
                   std::string_view message) {
    control_.reply_error(dest, request, status, message);
  }
  /// Sends a reply's payload (after its frame) without waiting for the client to take it: the
  /// rank serves other clients meanwhile (with Open MPI's single-copy path the client does the
  /// copy). `tensor`'s buffer is held, unchanged, until the send completes: a put to its key
  /// takes a new buffer while another holder has it (TensorTable::reserve).
  void send_payload(int dest, int channel, const StoredTensor& tensor);
  /// Waits for the payload sends of the tensor under `key`, before a put replaces it: the
  /// common case is a client that read it and puts again (its receive is done, only MPI's
  /// completion is left), and then the put reuses the buffer instead of taking fresh memory.
  void finish_sends_of(std::string_view key);
  /// Completes the payload sends that are done.
  void progress_payload_sends();
  void reply_error(int dest, int channel, std::uint64_t request_id, protocol::Status status,
                   std::string_view message) {
    control_.reply_error(dest, channel, request_id, status, message);
  }

  /// A model or script job waiting for its result.
  struct PendingJob {
    int source = 0;
    int channel = 0;
    std::uint64_t request_id = 0;
    Op op = Op::RunModel;
    std::string key;
    std::vector<std::string> outputs;
  };

  /// A payload send in flight, or a finished one kept for reuse (empty requests).
  struct PayloadSend {
    std::shared_ptr<AlignedBuffer> held;
    std::vector<MPI_Request> requests;
  };
  /// After `send` completed: lets go of its buffer and frees it for the next send.
  void retire(PayloadSend& send);

  MPI_Comm comm_;
  ServerOptions options_;
  control::ControlServer control_;
  ShardCounters& counters_;  ///< control_'s: this rank's requests, errors and bytes
  std::map<std::uint64_t, PendingJob> jobs_;  ///< by ticket
  std::uint64_t next_ticket_ = 1;
  std::vector<JobResult> results_;  ///< reused between collect_results calls
  std::vector<RequestRecord> records_;
  TensorTable table_;
  /// A dataset: its descriptor; its tensors are in table_ under dataset_tensor_key.
  struct StoredDataset {
    DataSetDescriptor descriptor;
    std::string encoded;
  };
  std::unordered_map<std::string, StoredDataset> datasets_;
  std::unordered_map<std::string, std::vector<std::string>> lists_;  ///< dataset names
  AlignedBuffer scratch_;  ///< where refused put payloads are drained (untouched otherwise)
  std::vector<PayloadSend> payload_sends_;
  std::size_t payload_sends_in_flight_ = 0;
};

}  // namespace scalestudy::store::mpi
