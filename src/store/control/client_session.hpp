// One client's session with the database ranks of its shards: hello when it opens, goodbye once
// when it closes. Every backend's client holds one; the goodbyes are what let database ranks stop.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "store/control/request_channel.hpp"

namespace scalestudy::store::control {

class ClientSession {
 public:
  /// Says hello to every shard of `shards` on `channel` of the store communicator `comm`. A
  /// database rank then serves until this session's goodbye. Throws StoreError ("<backend>
  /// store: ...") without shards, or if a shard speaks another protocol version.
  ClientSession(MPI_Comm comm, std::vector<ShardAddress> shards, std::string_view backend,
                int channel = 0, core::WaitPolicy wait = {});
  /// Says goodbye if close() did not; a failure is printed, never thrown.
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  /// Says goodbye to every shard now, with the errors counted for it (idempotent). Throws
  /// MpiError on failure.
  void close();
  bool closed() const { return closed_; }

  /// Counts an error this client raised on its own against the shard at `position` (an
  /// external server's refusal), which its database rank could not see: goodbye reports it.
  void count_error(std::size_t position) { ++client_errors_[position]; }

  /// The shards, in the order they were given (slots are split over them in this order).
  const std::vector<ShardAddress>& shards() const { return shards_; }

  /// The request channel hello and goodbye travel on; a backend that talks MPI sends its
  /// requests on it too.
  RequestChannel& channel() { return channel_; }

 private:
  RequestChannel channel_;
  std::vector<ShardAddress> shards_;
  std::vector<std::uint64_t> client_errors_;
  std::string backend_;
  bool closed_ = false;
};

}  // namespace scalestudy::store::control
