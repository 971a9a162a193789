// Raw MPI exchange with a database rank.
#include "store/control/raw_exchange.hpp"

#include <climits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"
#include "store/protocol.hpp"

namespace scalestudy::store::control {

RawExchange::RawExchange(MPI_Comm comm, int peer, std::uint64_t bytes)
    : comm_(comm), peer_(peer), count_(static_cast<int>(bytes)) {
  if (bytes > static_cast<std::uint64_t>(INT_MAX)) {
    throw StoreError("raw MPI baseline: " + std::to_string(bytes) +
                     "-byte messages exceed one MPI message (2 GiB)");
  }
  std::vector<std::byte> frame(sizeof(protocol::RequestHeader) + 64);
  protocol::RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::RawBegin);
  header.payload_bytes = bytes;
  const std::size_t size = protocol::encode_request(frame, header, {}, {});
  core::mpi_call(
      MPI_Send(frame.data(), static_cast<int>(size), MPI_BYTE, peer_, tags::kRequest, comm_),
      "MPI_Send(raw begin)");
  std::vector<std::byte> reply_frame(sizeof(protocol::ReplyHeader) + protocol::kMaxTextBytes);
  MPI_Status status;
  core::mpi_call(MPI_Recv(reply_frame.data(), static_cast<int>(reply_frame.size()), MPI_BYTE, peer_,
                          tags::reply(0), comm_, &status),
                 "MPI_Recv(raw begin reply)");
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  const auto reply = protocol::decode_reply(
      std::span<const std::byte>(reply_frame.data(), static_cast<std::size_t>(count)));
  if (reply.status() != protocol::Status::Ok) {
    throw StoreError("raw_begin on rank " + std::to_string(peer_) + ": " +
                     protocol::status_text(reply.status()) + ": " + std::string(reply.text));
  }
}

void RawExchange::put_like(const void* data) {
  core::mpi_call(MPI_Send(data, count_, MPI_BYTE, peer_, tags::kRawPut, comm_), "MPI_Send(raw)");
  core::mpi_call(MPI_Recv(&byte_, 1, MPI_BYTE, peer_, tags::kRawReply, comm_, MPI_STATUS_IGNORE),
                 "MPI_Recv(raw reply)");
}

void RawExchange::get_like(void* out) {
  core::mpi_call(MPI_Send(&byte_, 1, MPI_BYTE, peer_, tags::kRawGet, comm_), "MPI_Send(raw)");
  core::mpi_call(MPI_Recv(out, count_, MPI_BYTE, peer_, tags::kRawReply, comm_, MPI_STATUS_IGNORE),
                 "MPI_Recv(raw reply)");
}

}  // namespace scalestudy::store::control
