// The deployment, repetition and layout parameters of a point, and their typed views.
#include "core/layout_parameters.hpp"

namespace scalestudy::core {

// clang-format off
const std::vector<ParamSpec>& layout_parameters() {
  static const std::vector<ParamSpec> specs = {
      {"deployment", ParamType::Choice, "standard", "What runs",
       "standard: database ranks on their own nodes, keys sharded over all of them; "
       "colocated: database ranks on every client node, clients use only their node's",
       {"standard", "colocated"}},
      {"repetition", ParamType::Integer, "0", "What runs",
       "which repetition of a study point this is (makes repeated points distinct)", {}, 0},
      {"client_nodes", ParamType::Integer, "0", "Where ranks go",
       "nodes that run client ranks; studies launch client_nodes x ranks_per_node clients (plus "
       "database ranks), and scalestudy-rank checks the job has them (0: any)", {}, 0},
      {"ranks_per_node", ParamType::Integer, "0", "Where ranks go",
       "client ranks per node (colocated nodes also hold db_ranks_per_node database ranks); with "
       "virtual nodes, consecutive ranks are grouped into nodes of this size to emulate a cluster",
       {}, 0},
      {"node_mode", ParamType::Choice, "auto", "Where ranks go",
       "virtual: group ranks into nodes by ranks_per_node; real: nodes as MPI_COMM_TYPE_SHARED "
       "finds them; auto: virtual when ranks_per_node > 0",
       {"auto", "virtual", "real"}},
      {"client_threads", ParamType::Integer, "1", "Where ranks go",
       "threads of each client rank: OpenMP threads of a simulation client, fetch threads "
       "(requests in flight) of an aggregation consumer; the launcher gives each client rank "
       "this many cores", {}, 1},
      {"db_threads", ParamType::Integer, "1", "Where ranks go",
       "cores the launcher gives each database rank (its progress loop and model workers)", {},
       1},
      {"db_nodes", ParamType::Integer, "1", "Where ranks go",
       "standard deployment: number of nodes that hold only database ranks (the last nodes)", {},
       1},
      {"consumers", ParamType::Integer, "0", "Where ranks go",
       "consumer ranks (aggregation; standard deployment): the last ranks of the job, on a node "
       "of their own after the database nodes", {}, 0},
      {"db_ranks_per_node", ParamType::Integer, "1", "Where ranks go",
       "database ranks (shards) on each database node, or on each node when colocated", {}, 1},
  };
  return specs;
}
// clang-format on

LayoutRequest layout_request(const Parameters& params) {
  LayoutRequest request;
  request.ranks_per_node = static_cast<int>(params.integer("ranks_per_node"));
  request.client_nodes = static_cast<int>(params.integer("client_nodes"));
  request.deployment = parse_deployment(params.text("deployment"));
  request.db_nodes = static_cast<int>(params.integer("db_nodes"));
  request.db_ranks_per_node = static_cast<int>(params.integer("db_ranks_per_node"));
  request.consumers = static_cast<int>(params.integer("consumers"));
  return request;
}

RankThreads rank_threads(const Parameters& params) {
  return {static_cast<int>(params.integer("client_threads")),
          static_cast<int>(params.integer("db_threads"))};
}

}  // namespace scalestudy::core
