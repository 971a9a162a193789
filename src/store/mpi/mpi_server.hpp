// The database side of the mpi backend: one progress loop serving request frames and the raw
// MPI baseline until every client of this shard has said goodbye.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "store/mpi/tensor_table.hpp"
#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::mpi {

class MpiServer {
 public:
  /// `comm` is the store communicator; `expected_clients` the clients that will say goodbye.
  MpiServer(MPI_Comm comm, int shard, int expected_clients, std::uint64_t max_memory_bytes);
  ~MpiServer();
  MpiServer(const MpiServer&) = delete;
  MpiServer& operator=(const MpiServer&) = delete;

  /// Serves requests until every expected client has said goodbye. A bad request gets an
  /// error reply and never stops the loop. Throws MpiError only if MPI itself fails.
  void serve();

  ShardCounters counters() const;

 private:
  enum RawSlot { kRawPutSlot = 0, kRawGetSlot = 1, kRawSlots = 2 };

  /// Receives and handles one request frame if one is waiting; returns whether it did.
  bool poll_requests();
  /// Answers one raw-baseline message if one has arrived; returns whether it did.
  bool poll_raw();
  void handle_frame(std::span<const std::byte> frame, int source);
  void handle_request(const protocol::Request& request, int source);
  void put(const protocol::Request& request, int source);
  void read(const protocol::Request& request, int source);
  void raw_begin(const protocol::Request& request, int source);
  void reply(int dest, int channel, protocol::ReplyHeader header, Dims dims = {},
             std::string_view text = {}, std::span<const std::byte> inline_payload = {});
  void reply_error(int dest, const protocol::Request& request, protocol::Status status,
                   std::string_view message);
  void release_requests();

  MPI_Comm comm_;
  int shard_;
  int world_rank_ = -1;
  int expected_clients_;
  int goodbyes_ = 0;
  TensorTable table_;
  ShardCounters counters_;
  std::vector<std::byte> request_frame_;
  std::vector<std::byte> reply_frame_;
  AlignedBuffer scratch_;  ///< where refused put payloads are drained (untouched otherwise)
  std::array<MPI_Request, kRawSlots> raw_requests_;
  AlignedBuffer raw_buffer_;
  std::uint64_t raw_bytes_ = 0;
  bool raw_active_ = false;
  std::byte raw_byte_{};
};

}  // namespace scalestudy::store::mpi
