// Role planning: splits the world into client and database ranks for both deployments.
#include "core/layout.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/parameters.hpp"

namespace scalestudy::core {
namespace {

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// "0-3" or "0,2,4" (compact list of sorted ids).
std::string id_list(const std::vector<int>& ids) {
  std::ostringstream out;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (i > 0) out << ',';
    out << ids[i];
    if (j > i) out << '-' << ids[j];
    i = j + 1;
  }
  return out.str();
}

/// Node id of every rank for virtual nodes; the database tail of a standard job forms its own
/// nodes of db_ranks_per_node ranks.
std::vector<int> virtual_nodes(const LayoutRequest& r) {
  const int n = r.world_size;
  const int per_node = r.ranks_per_node;
  std::vector<int> node(static_cast<std::size_t>(n));
  if (r.deployment == Deployment::Colocated) {
    // Every node holds its clients followed by its database ranks.
    const int node_size = per_node + r.db_ranks_per_node;
    if (n % node_size != 0) {
      throw ConfigError("colocated with ranks_per_node=" + std::to_string(per_node) +
                        " and db_ranks_per_node=" + std::to_string(r.db_ranks_per_node) + ": " +
                        plural(n, "rank") + " do not fill whole nodes of " +
                        std::to_string(node_size) + "; launch a multiple of " +
                        std::to_string(node_size) + " ranks (e.g. " +
                        std::to_string((n / node_size + 1) * node_size) + ")");
    }
    for (int rank = 0; rank < n; ++rank) node[static_cast<std::size_t>(rank)] = rank / node_size;
    return node;
  }
  const int db_ranks = r.db_nodes * r.db_ranks_per_node;
  const int clients = n - db_ranks - r.consumers;
  if (clients <= 0) {
    throw ConfigError("standard layout: " + plural(n, "rank") + " but db_nodes x " +
                      "db_ranks_per_node = " + std::to_string(db_ranks) + " database ranks" +
                      (r.consumers > 0 ? " and " + plural(r.consumers, "consumer") : "") +
                      " leaves no client; launch at least " +
                      std::to_string(db_ranks + r.consumers + 1) +
                      " ranks or lower db_nodes/db_ranks_per_node");
  }
  if (clients % per_node != 0) {
    throw ConfigError("standard layout with ranks_per_node=" + std::to_string(per_node) + ": " +
                      plural(clients, "client rank") + " (" + std::to_string(n) + " ranks - " +
                      std::to_string(db_ranks) +
                      " database ranks) do not fill whole nodes; launch " +
                      std::to_string((clients / per_node + 1) * per_node + db_ranks + r.consumers) +
                      " ranks, or change ranks_per_node");
  }
  // Clients, then database nodes, then one node holding every consumer.
  const int client_nodes = clients / per_node;
  for (int rank = 0; rank < n; ++rank) {
    node[static_cast<std::size_t>(rank)] =
        rank < clients              ? rank / per_node
        : rank < clients + db_ranks ? client_nodes + (rank - clients) / r.db_ranks_per_node
                                    : client_nodes + r.db_nodes;
  }
  return node;
}

/// The job must have the client nodes the point asks for, each with ranks_per_node clients.
void check_client_nodes(const LayoutRequest& r, const Layout& layout) {
  int client_nodes = 0;
  for (int n = 0; n < layout.node_count; ++n) {
    const int clients = layout.clients_on_node(n);
    if (clients == 0) continue;
    ++client_nodes;
    if (r.ranks_per_node > 0 && clients != r.ranks_per_node) {
      throw ConfigError("node " + std::to_string(n) + " runs " + plural(clients, "client rank") +
                        " but ranks_per_node=" + std::to_string(r.ranks_per_node) +
                        "; place ranks_per_node client ranks on every client node (or set "
                        "ranks_per_node=0 to take the nodes as they come)");
    }
  }
  if (r.client_nodes > 0 && client_nodes != r.client_nodes) {
    throw ConfigError("the job has " + plural(client_nodes, "client node") +
                      " but client_nodes=" + std::to_string(r.client_nodes) + "; launch " +
                      std::to_string(expected_world_size(r)) + " ranks for this point");
  }
}

}  // namespace

int expected_world_size(const LayoutRequest& r) {
  if (r.deployment == Deployment::Colocated) {
    return r.client_nodes * (r.ranks_per_node + r.db_ranks_per_node);
  }
  return r.client_nodes * r.ranks_per_node + r.db_nodes * r.db_ranks_per_node + r.consumers;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::Client:
      return "client";
    case Role::Database:
      return "database";
    case Role::Consumer:
      return "consumer";
  }
  return "unknown";
}

Deployment parse_deployment(std::string_view name) {
  if (name == "standard") return Deployment::Standard;
  if (name == "colocated") return Deployment::Colocated;
  throw ConfigError("unknown deployment '" + std::string(name) + "' (standard or colocated)");
}

std::span<const int> Layout::shards_of_client(int client) const {
  if (deployment == Deployment::Standard) return all_shards_;
  const int node =
      ranks[static_cast<std::size_t>(client_ranks[static_cast<std::size_t>(client)])].node;
  return shards_of_node_[static_cast<std::size_t>(node)];
}

std::span<const int> Layout::shards_of_rank(int world_rank) const {
  const RankPlacement& p = ranks[static_cast<std::size_t>(world_rank)];
  if (p.role == Role::Client) return shards_of_client(p.index);
  if (p.role == Role::Consumer) return all_shards_;
  return {};
}

int Layout::clients_of_shard(int shard) const {
  if (deployment == Deployment::Standard) return client_count() + consumer_count();
  const int node =
      ranks[static_cast<std::size_t>(shard_ranks[static_cast<std::size_t>(shard)])].node;
  return clients_of_node_[static_cast<std::size_t>(node)];
}

std::vector<int> Layout::users_of_shard(int shard) const {
  std::vector<int> users;
  for (int rank = 0; rank < world_size(); ++rank) {
    for (const int s : shards_of_rank(rank)) {
      if (s == shard) users.push_back(rank);
    }
  }
  return users;
}

Layout plan_layout(const LayoutRequest& r) {
  if (r.world_size < 2) {
    throw ConfigError(
        "scalestudy-rank needs at least 2 ranks (one client, one database rank); "
        "got " +
        std::to_string(r.world_size));
  }
  if (r.db_ranks_per_node < 1) throw ConfigError("db_ranks_per_node must be at least 1");
  if (r.db_nodes < 1) throw ConfigError("db_nodes must be at least 1");
  if (r.ranks_per_node < 0) throw ConfigError("ranks_per_node must be 0 or more");
  if (r.consumers < 0) throw ConfigError("consumers must be 0 or more");
  if (r.consumers > 0 && r.deployment == Deployment::Colocated) {
    throw ConfigError(
        "consumer ranks need the standard deployment (colocated clients reach only their "
        "node's shards, so one consumer could not see every producer's data); set deployment: "
        "standard, or consumers: 0");
  }
  // A resolved point file lists every parameter, so db_nodes: 1 (the default) must pass.
  if (r.deployment == Deployment::Colocated && r.db_nodes != 1) {
    throw ConfigError("colocated deployment puts database ranks on every client node; db_nodes=" +
                      std::to_string(r.db_nodes) +
                      " means nothing there: remove db_nodes (use db_ranks_per_node for "
                      "database ranks per node)");
  }

  Layout layout;
  layout.deployment = r.deployment;
  layout.virtual_nodes = r.virtual_nodes;
  if (r.virtual_nodes && r.ranks_per_node < 1) {
    throw ConfigError("virtual nodes need ranks_per_node (client ranks per node) of at least 1");
  }
  std::vector<int> node;
  if (layout.virtual_nodes) {
    node = virtual_nodes(r);
  } else {
    if (static_cast<int>(r.real_node_of_rank.size()) != r.world_size) {
      throw ConfigError("internal: node map has " + std::to_string(r.real_node_of_rank.size()) +
                        " entries for " + std::to_string(r.world_size) + " ranks");
    }
    node = r.real_node_of_rank;
  }
  layout.node_count = *std::max_element(node.begin(), node.end()) + 1;

  std::vector<std::vector<int>> ranks_of_node(static_cast<std::size_t>(layout.node_count));
  for (int rank = 0; rank < r.world_size; ++rank) {
    ranks_of_node[static_cast<std::size_t>(node[static_cast<std::size_t>(rank)])].push_back(rank);
  }

  std::vector<Role> role(static_cast<std::size_t>(r.world_size), Role::Client);
  if (r.deployment == Deployment::Standard) {
    // Consumers, if any, are the last ranks, alone on the last node; database nodes precede it.
    const int consumer_nodes = r.consumers > 0 ? 1 : 0;
    if (r.db_nodes + consumer_nodes >= layout.node_count) {
      throw ConfigError("db_nodes=" + std::to_string(r.db_nodes) +
                        (consumer_nodes > 0 ? " plus a consumer node" : "") +
                        " but the job has only " +
                        plural(layout.node_count, layout.virtual_nodes ? "virtual node" : "node") +
                        ", so no node is left for clients; lower db_nodes or launch on more "
                        "nodes" +
                        (layout.virtual_nodes ? std::string()
                                              : " (on one machine, emulate nodes with virtual "
                                                "ones: --ranks_per_node 1)"));
    }
    if (consumer_nodes > 0) {
      const auto& members = ranks_of_node[static_cast<std::size_t>(layout.node_count - 1)];
      const bool last_ranks_alone = static_cast<int>(members.size()) == r.consumers &&
                                    members.front() == r.world_size - r.consumers;
      if (!last_ranks_alone) {
        throw ConfigError("consumers=" + std::to_string(r.consumers) + ": the last " +
                          plural(r.consumers, "rank") +
                          " must be alone on the last node, but "
                          "node " +
                          std::to_string(layout.node_count - 1) + " runs " +
                          plural(static_cast<int>(members.size()), "rank") +
                          "; give the consumer node exactly " + std::to_string(r.consumers) +
                          " slots after the database nodes");
      }
      for (const int rank : members) role[static_cast<std::size_t>(rank)] = Role::Consumer;
    }
    for (int n = layout.node_count - consumer_nodes - r.db_nodes;
         n < layout.node_count - consumer_nodes; ++n) {
      const auto& members = ranks_of_node[static_cast<std::size_t>(n)];
      if (static_cast<int>(members.size()) != r.db_ranks_per_node) {
        throw ConfigError("database node " + std::to_string(n) + " runs " +
                          plural(static_cast<int>(members.size()), "rank") +
                          " but db_ranks_per_node=" + std::to_string(r.db_ranks_per_node) +
                          "; the last db_nodes nodes must hold exactly db_ranks_per_node ranks "
                          "each (set db_ranks_per_node=" +
                          std::to_string(members.size()) + " or place ranks accordingly)");
      }
      for (const int rank : members) role[static_cast<std::size_t>(rank)] = Role::Database;
    }
  } else {
    for (int n = 0; n < layout.node_count; ++n) {
      const auto& members = ranks_of_node[static_cast<std::size_t>(n)];
      if (static_cast<int>(members.size()) <= r.db_ranks_per_node) {
        throw ConfigError("colocated: node " + std::to_string(n) + " runs " +
                          plural(static_cast<int>(members.size()), "rank") +
                          ", but needs db_ranks_per_node=" + std::to_string(r.db_ranks_per_node) +
                          " database ranks plus at least one client; launch more ranks per "
                          "node or lower db_ranks_per_node");
      }
      // Database ranks take the highest ranks of each node, after its clients.
      for (std::size_t i = members.size() - static_cast<std::size_t>(r.db_ranks_per_node);
           i < members.size(); ++i) {
        role[static_cast<std::size_t>(members[i])] = Role::Database;
      }
    }
  }

  layout.shards_of_node_.resize(static_cast<std::size_t>(layout.node_count));
  layout.clients_of_node_.assign(static_cast<std::size_t>(layout.node_count), 0);
  for (int rank = 0; rank < r.world_size; ++rank) {
    const auto urank = static_cast<std::size_t>(rank);
    const auto unode = static_cast<std::size_t>(node[urank]);
    if (role[urank] == Role::Client) {
      layout.ranks.push_back({Role::Client, node[urank], layout.client_count()});
      layout.client_ranks.push_back(rank);
      ++layout.clients_of_node_[unode];
    } else if (role[urank] == Role::Consumer) {
      layout.ranks.push_back({Role::Consumer, node[urank], layout.consumer_count()});
      layout.consumer_ranks.push_back(rank);
    } else {
      const int shard = layout.shard_count();
      layout.ranks.push_back({Role::Database, node[urank], shard});
      layout.shard_ranks.push_back(rank);
      layout.all_shards_.push_back(shard);
      layout.shards_of_node_[unode].push_back(shard);
    }
  }
  check_client_nodes(r, layout);
  return layout;
}

std::string Layout::describe(const std::vector<std::string>& host_of_rank, int max_nodes) const {
  std::ostringstream out;
  out << "layout: " << (deployment == Deployment::Standard ? "standard" : "colocated") << ", "
      << plural(world_size(), "rank") << " on "
      << plural(node_count, virtual_nodes ? "virtual node" : "node") << ": "
      << plural(client_count(), "client") << ", " << plural(shard_count(), "database rank");
  if (consumer_count() > 0) out << ", " << plural(consumer_count(), "consumer");
  out << '\n';
  struct Members {
    std::vector<int> clients, shards, consumers;  // world ranks
  };
  std::map<int, Members> members;
  for (int rank = 0; rank < world_size(); ++rank) {
    const auto& p = ranks[static_cast<std::size_t>(rank)];
    Members& m = members[p.node];
    (p.role == Role::Client     ? m.clients
     : p.role == Role::Database ? m.shards
                                : m.consumers)
        .push_back(rank);
  }
  int listed = 0;
  for (const auto& [n, m] : members) {
    if (listed++ == max_nodes) {
      out << "  ... " << plural(node_count - max_nodes, "more node") << '\n';
      break;
    }
    const int first = !m.clients.empty()  ? m.clients.front()
                      : !m.shards.empty() ? m.shards.front()
                                          : m.consumers.front();
    out << "  node " << n;
    if (static_cast<std::size_t>(first) < host_of_rank.size()) {
      out << " (" << host_of_rank[static_cast<std::size_t>(first)] << ")";
    }
    out << ":";
    const char* separator = "";
    if (!m.clients.empty()) {
      out << " clients on ranks " << id_list(m.clients);
      separator = ";";
    }
    if (!m.shards.empty()) {
      std::vector<int> shards;
      for (const int rank : m.shards) shards.push_back(ranks[static_cast<std::size_t>(rank)].index);
      out << separator << " database shards " << id_list(shards) << " on ranks "
          << id_list(m.shards);
      separator = ";";
    }
    if (!m.consumers.empty()) out << separator << " consumers on ranks " << id_list(m.consumers);
    out << '\n';
  }
  return out.str();
}

}  // namespace scalestudy::core
