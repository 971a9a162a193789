// Hello to every shard of a client, and goodbye once.
#include "store/control/client_session.hpp"

#include <cstdio>
#include <exception>

#include "core/error.hpp"

namespace scalestudy::store::control {

ClientSession::ClientSession(MPI_Comm comm, std::vector<ShardAddress> shards,
                             std::string_view backend, int channel, core::WaitPolicy wait)
    : channel_(comm, channel, wait),
      shards_(std::move(shards)),
      client_errors_(shards_.size(), 0),
      backend_(backend) {
  if (shards_.empty()) {
    throw StoreError(backend_ + " store: this client has no database shard to use");
  }
  for (const auto& shard : shards_) channel_.hello(shard);
}

ClientSession::~ClientSession() {
  try {
    close();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s store: goodbye failed: %s\n", backend_.c_str(), error.what());
  }
}

void ClientSession::close() {
  if (closed_) return;
  closed_ = true;
  for (std::size_t i = 0; i < shards_.size(); ++i) channel_.goodbye(shards_[i], client_errors_[i]);
}

}  // namespace scalestudy::store::control
