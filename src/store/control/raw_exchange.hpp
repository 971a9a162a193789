// The physical limit of the mpi store: the same message sizes over plain MPI_Send/MPI_Recv
// between a client and one database rank, served by that rank's progress loop.
#pragma once

#include <mpi.h>

#include <cstdint>

namespace scalestudy::store::control {

class RawExchange {
 public:
  /// Asks database rank `peer` (store communicator rank) to serve raw messages of `bytes`
  /// bytes (at most 2 GiB; every client of a shard must use the same size). Throws StoreError.
  RawExchange(MPI_Comm comm, int peer, std::uint64_t bytes);

  /// Put-like: sends `bytes` bytes, waits for a 1-byte reply.
  void put_like(const void* data);

  /// Get-like: sends a 1-byte request, receives `bytes` bytes into `out`.
  void get_like(void* out);

 private:
  MPI_Comm comm_;
  int peer_;
  int count_;
  char byte_ = 0;
};

}  // namespace scalestudy::store::control
