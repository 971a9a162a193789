// Chunked point-to-point byte transfers.
#include "store/mpi/transport.hpp"

#include <algorithm>

#include "core/mpi_check.hpp"

namespace scalestudy::store::mpi {

void send_bytes(MPI_Comm comm, const std::byte* data, std::uint64_t bytes, int dest, int tag) {
  for (std::uint64_t offset = 0; offset < bytes; offset += kChunkBytes) {
    const auto count = static_cast<int>(std::min(kChunkBytes, bytes - offset));
    core::mpi_call(MPI_Send(data + offset, count, MPI_BYTE, dest, tag, comm), "MPI_Send(payload)");
  }
}

void recv_bytes(MPI_Comm comm, std::byte* data, std::uint64_t bytes, int source, int tag) {
  for (std::uint64_t offset = 0; offset < bytes; offset += kChunkBytes) {
    const auto count = static_cast<int>(std::min(kChunkBytes, bytes - offset));
    core::mpi_call(MPI_Recv(data + offset, count, MPI_BYTE, source, tag, comm, MPI_STATUS_IGNORE),
                   "MPI_Recv(payload)");
  }
}

}  // namespace scalestudy::store::mpi
