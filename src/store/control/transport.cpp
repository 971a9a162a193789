// Chunked point-to-point byte transfers.
#include "store/control/transport.hpp"

#include <algorithm>
#include <vector>

#include "core/mpi_check.hpp"

namespace scalestudy::store::control {

namespace {

/// Starts ceil(bytes / chunk) pieces with `start(offset, count, request)`, appending their
/// requests to `requests`.
template <typename Start>
void post_pieces(std::uint64_t bytes, std::uint64_t chunk, std::vector<MPI_Request>& requests,
                 Start start) {
  for (std::uint64_t offset = 0; offset < bytes; offset += chunk) {
    requests.push_back(MPI_REQUEST_NULL);
    start(offset, static_cast<int>(std::min(chunk, bytes - offset)), &requests.back());
  }
}

template <typename Start>
void transfer(std::uint64_t bytes, std::uint64_t chunk, const char* what, Start start) {
  if (bytes == 0) return;
  if (bytes <= chunk) {
    start(0, static_cast<int>(bytes), nullptr);
    return;
  }
  std::vector<MPI_Request> requests;
  requests.reserve((bytes + chunk - 1) / chunk);
  post_pieces(bytes, chunk, requests, start);
  core::mpi_call(
      MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE), what);
}

}  // namespace

void send_bytes(MPI_Comm comm, const std::byte* data, std::uint64_t bytes, int dest, int tag,
                std::uint64_t chunk) {
  transfer(bytes, chunk, "MPI_Waitall(payload sends)",
           [&](std::uint64_t offset, int count, MPI_Request* request) {
             if (request == nullptr) {
               core::mpi_call(MPI_Send(data + offset, count, MPI_BYTE, dest, tag, comm),
                              "MPI_Send(payload)");
             } else {
               core::mpi_call(MPI_Isend(data + offset, count, MPI_BYTE, dest, tag, comm, request),
                              "MPI_Isend(payload)");
             }
           });
}

void recv_bytes(MPI_Comm comm, std::byte* data, std::uint64_t bytes, int source, int tag,
                std::uint64_t chunk) {
  transfer(bytes, chunk, "MPI_Waitall(payload receives)",
           [&](std::uint64_t offset, int count, MPI_Request* request) {
             if (request == nullptr) {
               core::mpi_call(
                   MPI_Recv(data + offset, count, MPI_BYTE, source, tag, comm, MPI_STATUS_IGNORE),
                   "MPI_Recv(payload)");
             } else {
               core::mpi_call(MPI_Irecv(data + offset, count, MPI_BYTE, source, tag, comm, request),
                              "MPI_Irecv(payload)");
             }
           });
}

void post_send_bytes(MPI_Comm comm, const std::byte* data, std::uint64_t bytes, int dest, int tag,
                     std::vector<MPI_Request>& requests, std::uint64_t chunk) {
  post_pieces(bytes, chunk, requests, [&](std::uint64_t offset, int count, MPI_Request* request) {
    core::mpi_call(MPI_Isend(data + offset, count, MPI_BYTE, dest, tag, comm, request),
                   "MPI_Isend(payload)");
  });
}

void post_recv_bytes(MPI_Comm comm, std::byte* data, std::uint64_t bytes, int source, int tag,
                     std::vector<MPI_Request>& requests, std::uint64_t chunk) {
  post_pieces(bytes, chunk, requests, [&](std::uint64_t offset, int count, MPI_Request* request) {
    core::mpi_call(MPI_Irecv(data + offset, count, MPI_BYTE, source, tag, comm, request),
                   "MPI_Irecv(payload)");
  });
}

void discard_bytes(MPI_Comm comm, std::byte* scratch, std::uint64_t bytes, int source, int tag,
                   std::uint64_t chunk) {
  for (std::uint64_t offset = 0; offset < bytes; offset += chunk) {
    const auto count = static_cast<int>(std::min(chunk, bytes - offset));
    core::mpi_call(MPI_Recv(scratch, count, MPI_BYTE, source, tag, comm, MPI_STATUS_IGNORE),
                   "MPI_Recv(refused payload)");
  }
}

}  // namespace scalestudy::store::control
