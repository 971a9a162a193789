// How a database rank whose data lives elsewhere (a redis-server, a shared directory) tells its
// clients where to find it.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/backend.hpp"
#include "store/control/request_channel.hpp"

namespace scalestudy::store::control {

/// Sends `message` to every client and consumer that uses `shard` (tags::kServerAddress).
/// Throws MpiError.
void publish_to_users(const BackendContext& context, int shard, const std::string& message);

/// Receives what database rank `rank` published for this client. Throws MpiError.
std::string receive_from_shard(MPI_Comm comm, int rank);

/// What a database rank published for its clients: "ok\n<detail>".
struct Published {
  ShardAddress shard;
  std::string detail;
};

/// Receives what every shard this client (or consumer) uses published: "ok\n<detail>" or
/// "error\n<why>", checking each "ok" with `check` (it returns "" or why the shard cannot be
/// used from here). If a shard cannot be used, says goodbye to those that published "ok" (they
/// wait for this client) and throws StoreError("<backend> store: shard <s> ...; ...").
std::vector<Published> receive_from_shards(
    const BackendContext& context, std::string_view backend,
    const std::function<std::string(const Published&)>& check = {});

}  // namespace scalestudy::store::control
