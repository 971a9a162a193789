// The client side of the mpi backend: Store verbs as request frames to database ranks.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/buffer_pool.hpp"
#include "store/control/client_session.hpp"
#include "store/dataset.hpp"
#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::mpi {

class MpiStore final : public Store {
 public:
  /// Says hello to every shard in `shards` (slots are split over them in this order).
  /// `comm` is the store communicator, duplicated collectively by every rank of the job.
  /// get_datasets_from_list keeps up to `requests_in_flight` requests outstanding, on channels
  /// channel + 1 ... channel + requests_in_flight. Throws StoreError if a shard speaks another
  /// protocol version.
  MpiStore(MPI_Comm comm, std::vector<control::ShardAddress> shards, std::uint64_t inline_bytes,
           int channel = 0, core::WaitPolicy wait = {}, int requests_in_flight = 1);
  /// Says goodbye to every shard (what lets database ranks shut down); never throws.
  ~MpiStore() override = default;
  MpiStore(const MpiStore&) = delete;
  MpiStore& operator=(const MpiStore&) = delete;

  void put_tensor(std::string_view key, const void* data, Dims dims, DType dtype) override;
  void unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype) override;
  Tensor get_tensor(std::string_view key) override;
  void delete_tensor(std::string_view key) override;
  bool tensor_exists(std::string_view key) override;
  std::vector<ShardCounters> info() override;
  int shard_of(std::string_view key) const override;
  void set_model(std::string_view key, std::span<const std::byte> model,
                 const ModelOptions& options) override;
  void set_script(std::string_view key, std::string_view source) override;
  void run_model(std::string_view key, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& outputs) override;
  void run_script(std::string_view key, std::string_view function,
                  const std::vector<std::string>& inputs,
                  const std::vector<std::string>& outputs) override;
  bool model_exists(std::string_view key) override;
  // Datasets and lists (mpi_store_datasets.cpp).
  void put_dataset(const DataSet& dataset) override;
  DataSet get_dataset(std::string_view name) override;
  void delete_dataset(std::string_view name) override;
  bool dataset_exists(std::string_view name) override;
  void append_to_list(std::string_view list, const DataSet& dataset) override;
  std::uint64_t get_list_length(std::string_view list) override;
  std::vector<DataSet> get_datasets_from_list(std::string_view list) override;
  void delete_list(std::string_view list) override;
  int requests_in_flight() const override { return requests_in_flight_; }
  std::string_view backend_name() const override { return "mpi"; }

  /// Sends goodbye to every shard now (idempotent). Throws MpiError on failure.
  void close() override;

  /// The store communicator (for the raw baseline and tests that talk to ranks directly).
  MPI_Comm communicator() const { return comm_; }

 private:
  const control::ShardAddress& target(std::string_view key) const;
  /// Sends a request frame and returns the decoded reply. Error statuses become StoreError.
  protocol::Reply call(const control::ShardAddress& shard, protocol::RequestHeader header,
                       Dims dims, std::string_view key,
                       std::span<const std::byte> inline_payload = {});
  /// Sends a request frame; returns its request id.
  std::uint64_t send_request(const control::ShardAddress& shard, protocol::RequestHeader header,
                             Dims dims, std::string_view key,
                             std::span<const std::byte> inline_payload);
  /// Bytes of a tensor of `dims` and `dtype`, or StoreError naming op, key and shard.
  std::uint64_t checked_bytes(Op op, std::string_view key, const control::ShardAddress& shard,
                              Dims dims, DType dtype) const;
  /// Sends a frame whose payload is `payload`: inside the frame up to the inline threshold,
  /// else right behind it in pieces; returns the reply. `key` is the frame's key field.
  protocol::Reply call_with_payload(const control::ShardAddress& shard,
                                    protocol::RequestHeader header, Dims dims, std::string_view key,
                                    std::span<const std::byte> payload, std::string_view label);
  /// The shard that runs a model or script on `inputs` and `outputs`: theirs, which must be one.
  const control::ShardAddress& model_target(Op op, std::string_view key,
                                            const std::vector<std::string>& inputs,
                                            const std::vector<std::string>& outputs) const;
  std::byte* receive_payload(const protocol::Reply& reply, const control::ShardAddress& shard,
                             std::byte* out);

  /// The dataset names of `list`.
  std::vector<std::string> list_names(std::string_view list);
  /// The datasets `names`, fetched with up to requests_in_flight_ requests outstanding.
  std::vector<DataSet> fetch_datasets(const std::vector<std::string>& names);

  /// One get_dataset request in flight, on its own channel.
  struct FetchSlot {
    FetchSlot(MPI_Comm comm, int number, core::WaitPolicy wait) : channel(comm, number, wait) {}
    control::RequestChannel channel;
    bool busy = false;
    bool receiving = false;  ///< the reply is in; its large tensors are arriving
    std::size_t index = 0;   ///< which dataset of the fetch
    const control::ShardAddress* shard = nullptr;
    std::uint64_t request_id = 0;
    DataSetDescriptor descriptor;
    std::shared_ptr<AlignedBuffer> buffer;
    std::vector<std::uint64_t> offsets;
    std::vector<MPI_Request> payloads;
  };
  /// Sends the get_dataset request of `names[index]` on `slot`.
  void start_fetch(FetchSlot& slot, const std::vector<std::string>& names, std::size_t index);
  /// Handles the reply that arrived on `slot`: copies inline tensors, posts the receives of the
  /// others. Throws StoreError for an error reply.
  void receive_fetch(FetchSlot& slot, const std::string& name);

  MPI_Comm comm_;
  std::uint64_t inline_bytes_;
  core::WaitPolicy wait_;
  int requests_in_flight_;
  control::ClientSession session_;
  const std::vector<control::ShardAddress>& shards_ = session_.shards();
  control::RequestChannel& channel_ = session_.channel();
  std::vector<std::unique_ptr<FetchSlot>> fetch_slots_;  ///< made on first use
  BufferPool dataset_buffers_;  ///< fetched datasets' memory, reused once they are dropped
};

}  // namespace scalestudy::store::mpi
