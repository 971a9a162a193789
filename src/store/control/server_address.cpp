// Address messages from database ranks to their clients.
#include "store/control/server_address.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "store/control/transport.hpp"

namespace scalestudy::store::control {
void publish_to_users(const BackendContext& context, int shard, const std::string& message) {
  std::vector<MPI_Request> requests;
  for (const int user : context.layout.users_of_shard(shard)) {
    requests.push_back(MPI_REQUEST_NULL);
    core::mpi_call(MPI_Isend(message.data(), static_cast<int>(message.size()), MPI_CHAR, user,
                             tags::kServerAddress, context.comm, &requests.back()),
                   "MPI_Isend(server address)");
  }
  core::mpi_call(
      MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
      "MPI_Waitall(server address)");
}

std::string receive_from_shard(MPI_Comm comm, int rank) {
  MPI_Status status;
  core::mpi_call(MPI_Probe(rank, tags::kServerAddress, comm, &status), "MPI_Probe(server address)");
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string message(static_cast<std::size_t>(count), '\0');
  core::mpi_call(MPI_Recv(message.data(), count, MPI_CHAR, rank, tags::kServerAddress, comm,
                          MPI_STATUS_IGNORE),
                 "MPI_Recv(server address)");
  return message;
}

std::vector<Published> receive_from_shards(
    const BackendContext& context, std::string_view backend,
    const std::function<std::string(const Published&)>& check) {
  std::vector<Published> published;
  std::vector<ShardAddress> reachable;
  std::string errors;
  const auto add_error = [&](const std::string& error) {
    if (!errors.empty()) errors += "; ";
    errors += error;
  };
  for (const auto& [shard, rank] : client_shards(context.layout, context.world_rank)) {
    const std::string message = receive_from_shard(context.comm, rank);
    const std::size_t newline = message.find('\n');
    const std::string detail = newline == std::string::npos ? "" : message.substr(newline + 1);
    if (message.substr(0, newline) != "ok") {
      add_error("shard " + std::to_string(shard) + " is not serving: " + detail);
      continue;
    }
    reachable.push_back({shard, rank});
    published.push_back({{shard, rank}, detail});
  }
  for (const auto& shard : published) {
    if (!errors.empty() || !check) break;
    if (const std::string error = check(shard); !error.empty()) add_error(error);
  }
  if (!errors.empty()) {
    RequestChannel channel(context.comm, 0);
    for (const auto& shard : reachable) channel.goodbye(shard, 1);
    throw StoreError(std::string(backend) + " store: " + errors);
  }
  return published;
}

}  // namespace scalestudy::store::control
