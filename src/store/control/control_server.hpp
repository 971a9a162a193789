// A database rank's progress loop over MPI, shared by every backend: request frames in, hello
// and goodbye, the raw MPI baseline, counters; a backend's own verbs go to its RequestHandler.
#pragma once

#include <mpi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "store/backend.hpp"
#include "store/buffer_pool.hpp"
#include "store/protocol.hpp"
#include "store/store.hpp"

namespace scalestudy::store::control {

/// How a database rank's loop waits and when it stops.
struct ControlOptions {
  int shard = 0;
  int expected_clients = 0;  ///< clients that will say goodbye
  /// Idle loop: poll this long, then sleep with back-off up to max_sleep at a time.
  std::chrono::microseconds spin{50};
  std::chrono::microseconds max_sleep{100};
  /// > 0: while no raw baseline runs, just sleep this long between polls — for ranks whose
  /// data goes elsewhere (redis-server, a shared directory) and that must leave their core to it.
  std::chrono::microseconds control_idle_sleep{0};
};

/// The options of database rank `context.world_rank` from its point: its shard, its clients,
/// wait_spin_us and wait_max_sleep_us. `data_elsewhere`: its data goes through another server
/// or the file system, so it sleeps while only hello and goodbye can come.
ControlOptions control_options(const BackendContext& context, bool data_elsewhere);

/// What a backend's database rank serves over MPI beyond hello, goodbye, info and the raw
/// baseline (the mpi backend: every Store verb). Called from the progress loop's thread only.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  /// Handles one request from `source`, replying through the server. A StoreError becomes a
  /// BadRequest reply, std::bad_alloc an OutOfMemory reply.
  virtual void handle(const protocol::Request& request, int source) = 0;
  /// Moves work in flight on (payload sends, finished model jobs); returns whether it did.
  virtual bool progress() = 0;
  /// Whether work is in flight that the loop must see finish before it stops (model jobs).
  virtual bool busy() const = 0;
  /// Sleeps until in-flight work may have finished, at most `timeout`; called while busy() and
  /// nothing else moves, so that the loop leaves its core to the workers.
  virtual void wait(std::chrono::microseconds timeout) = 0;
  /// Completes or cancels what is still in flight once every client has said goodbye.
  virtual void finish() = 0;
  /// Adds what it holds (keys, memory) to the counters of an info request or of the end.
  virtual void add_counters(ShardCounters& counters) const = 0;
};

class ControlServer {
 public:
  /// `comm` is the store communicator.
  ControlServer(MPI_Comm comm, ControlOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// Serves until every expected client has said goodbye and `handler` (nullptr: requests other
  /// than hello, goodbye, info and raw_begin are refused) is no longer busy. A bad request gets
  /// an error reply and never stops the loop. Throws MpiError only if MPI itself fails.
  void serve(RequestHandler* handler = nullptr);

  /// Requests, errors and bytes counted so far (a handler adds its bytes and holdings).
  const ShardCounters& counters() const { return counters_; }
  ShardCounters& counters() { return counters_; }

  /// Sends the reply frame of a request on `channel`; `inline_payload` goes inside it.
  void reply(int dest, int channel, protocol::ReplyHeader header, Dims dims = {},
             std::string_view text = {}, std::span<const std::byte> inline_payload = {});
  /// reply with the inline payload gathered from `parts`.
  void reply_parts(int dest, int channel, protocol::ReplyHeader header,
                   protocol::PayloadParts parts, Dims dims = {}, std::string_view text = {});
  /// Replies with `status` and `message` to `request`, counting an error.
  void reply_error(int dest, const protocol::Request& request, protocol::Status status,
                   std::string_view message);
  void reply_error(int dest, int channel, std::uint64_t request_id, protocol::Status status,
                   std::string_view message);

  MPI_Comm comm() const { return comm_; }
  /// How many bytes of request frame this rank accepts (its Hello reply).
  std::size_t frame_capacity() const { return request_frame_.size(); }

 private:
  enum RawSlot { kRawPutSlot = 0, kRawGetSlot = 1, kRawSlots = 2 };

  /// Receives and handles one request frame if one is waiting; returns whether it did.
  bool poll_requests();
  /// Answers one raw-baseline message if one has arrived; returns whether it did.
  bool poll_raw();
  void handle_frame(std::span<const std::byte> frame, int source);
  void handle_request(const protocol::Request& request, int source);
  void raw_begin(const protocol::Request& request, int source);
  void release_raw();

  MPI_Comm comm_;
  ControlOptions options_;
  RequestHandler* handler_ = nullptr;  ///< while serving
  int world_rank_ = -1;
  int goodbyes_ = 0;
  ShardCounters counters_;
  std::vector<std::byte> request_frame_;
  std::vector<std::byte> reply_frame_;
  std::array<MPI_Request, kRawSlots> raw_requests_;
  AlignedBuffer raw_buffer_;
  std::uint64_t raw_bytes_ = 0;
  bool raw_active_ = false;
  std::byte raw_byte_{};
};

}  // namespace scalestudy::store::control
