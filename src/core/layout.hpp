// Which world rank is a client and which a database shard, on which (real or virtual) node.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace scalestudy::core {

enum class Role { Client, Database, Consumer };
enum class Deployment { Standard, Colocated };

/// "client" / "database" / "consumer".
const char* role_name(Role role);

/// Parses "standard" / "colocated". Throws ConfigError otherwise.
Deployment parse_deployment(std::string_view name);

/// What the layout is planned from: the job's shape and the point's layout parameters.
struct LayoutRequest {
  int world_size = 0;
  /// Node of each world rank as MPI_COMM_TYPE_SHARED found it (ids 0..N-1 in order of each
  /// node's lowest rank). Ignored when ranks_per_node > 0.
  std::vector<int> real_node_of_rank;
  /// Group consecutive ranks into virtual nodes instead of using the real ones.
  bool virtual_nodes = false;
  /// Client ranks per node (virtual nodes: required; real nodes: checked when > 0). A colocated
  /// virtual node holds ranks_per_node clients followed by db_ranks_per_node database ranks.
  int ranks_per_node = 0;
  /// Client nodes the job must have (0: any).
  int client_nodes = 0;
  Deployment deployment = Deployment::Standard;
  int db_nodes = 1;
  int db_ranks_per_node = 1;
  /// Consumer ranks (data aggregation; standard deployment only): the last ranks of the job,
  /// on a node of their own after the database nodes.
  int consumers = 0;
};

struct RankPlacement {
  Role role;
  int node;   ///< node id (virtual or real)
  int index;  ///< client, shard or consumer index (by role), each in world-rank order
};

/// The planned roles. Clients are numbered 0..C-1, shards 0..D-1 and consumers 0..K-1 in
/// world-rank order.
class Layout {
 public:
  Deployment deployment = Deployment::Standard;
  bool virtual_nodes = false;
  int node_count = 0;
  std::vector<RankPlacement> ranks;  ///< by world rank
  std::vector<int> client_ranks;     ///< world rank of each client
  std::vector<int> shard_ranks;      ///< world rank of each shard
  std::vector<int> consumer_ranks;   ///< world rank of each consumer

  int world_size() const { return static_cast<int>(ranks.size()); }
  int client_count() const { return static_cast<int>(client_ranks.size()); }
  int shard_count() const { return static_cast<int>(shard_ranks.size()); }
  int consumer_count() const { return static_cast<int>(consumer_ranks.size()); }

  /// Shards a client may send requests to: every shard (standard) or its node's (colocated).
  std::span<const int> shards_of_client(int client) const;

  /// Shards the rank `world_rank` may send requests to: its client's, every shard for a
  /// consumer, none for a database rank.
  std::span<const int> shards_of_rank(int world_rank) const;

  /// Number of clients and consumers that may send requests to `shard` (what it waits for at
  /// shutdown).
  int clients_of_shard(int shard) const;

  /// World ranks of the clients and consumers that may send requests to `shard`.
  std::vector<int> users_of_shard(int shard) const;

  /// Number of client ranks on node `node`.
  int clients_on_node(int node) const { return clients_of_node_[static_cast<std::size_t>(node)]; }

  /// The role map: one line per node (the first `max_nodes`, then a count of the rest).
  std::string describe(const std::vector<std::string>& host_of_rank, int max_nodes = 16) const;

 private:
  friend Layout plan_layout(const LayoutRequest& request);
  std::vector<int> all_shards_;
  std::vector<std::vector<int>> shards_of_node_;
  std::vector<int> clients_of_node_;
};

class Parameters;

/// The request's fields a point's parameters set: ranks_per_node, client_nodes, deployment,
/// db_nodes, db_ranks_per_node, consumers. The job's shape (world_size, virtual or real
/// nodes) is the caller's.
LayoutRequest layout_request(const Parameters& params);

/// Ranks a job needs for `request` (uses client_nodes, ranks_per_node, db_nodes,
/// db_ranks_per_node and consumers; world_size is ignored).
int expected_world_size(const LayoutRequest& request);

/// Plans roles for a job. Throws ConfigError, saying what to change, for any layout that
/// cannot run: no client left, more database nodes than nodes, uneven virtual nodes, ...
Layout plan_layout(const LayoutRequest& request);

}  // namespace scalestudy::core
