// The table of every parameter a point may set: name, type, default and meaning.
#include "core/parameters.hpp"

namespace scalestudy::core {

// clang-format off
const std::vector<ParamSpec>& parameter_schema() {
  static const std::vector<ParamSpec> schema = {
      // What runs.
      {"workload", ParamType::Choice, "throughput", "point",
       "client loop to run: throughput (put/unpack of one tensor per client, as "
       "SmartSim-Scaling), mpi_baseline (the same exchange over plain MPI_Send/MPI_Recv)",
       {"throughput", "mpi_baseline"}},
      {"backend", ParamType::Choice, "mpi", "point",
       "store the database ranks serve: mpi (scalestudy's own MPI tensor store)",
       {"mpi"}},
      {"deployment", ParamType::Choice, "standard", "point",
       "standard: database ranks on their own nodes, keys sharded over all of them; "
       "colocated: database ranks on every client node, clients use only their node's",
       {"standard", "colocated"}},
      {"repetition", ParamType::Integer, "0", "point",
       "which repetition of a study point this is (makes repeated points distinct)", {}, 0},

      // Where ranks go.
      {"client_nodes", ParamType::Integer, "0", "layout",
       "nodes that run client ranks; studies launch client_nodes x ranks_per_node clients (plus "
       "database ranks), and scalestudy-rank checks the job has them (0: any)", {}, 0},
      {"ranks_per_node", ParamType::Integer, "0", "layout",
       "client ranks per node (colocated nodes also hold db_ranks_per_node database ranks); with "
       "virtual nodes, consecutive ranks are grouped into nodes of this size to emulate a cluster",
       {}, 0},
      {"node_mode", ParamType::Choice, "auto", "layout",
       "virtual: group ranks into nodes by ranks_per_node; real: nodes as MPI_COMM_TYPE_SHARED "
       "finds them; auto: virtual when ranks_per_node > 0",
       {"auto", "virtual", "real"}},
      {"db_nodes", ParamType::Integer, "1", "layout",
       "standard deployment: number of nodes that hold only database ranks (the last nodes)", {},
       1},
      {"db_ranks_per_node", ParamType::Integer, "1", "layout",
       "database ranks (shards) on each database node, or on each node when colocated", {}, 1},

      // The client loop.
      {"iterations", ParamType::Integer, "100", "loop", "timed iterations per client", {}, 1},
      {"warmup", ParamType::Integer, "1", "loop",
       "iterations run and recorded before the timed ones, flagged as warm-up in the results",
       {}, 0},
      {"tensor_bytes", ParamType::Bytes, "1KiB", "loop",
       "bytes per tensor (float32 elements: tensor_bytes/4); accepts 1024, 64KiB, 1MiB, 1MB"},
      {"barrier_each_iteration", ParamType::Boolean, "false", "loop",
       "MPI_Barrier over all clients before every iteration (untimed)"},
      {"verify", ParamType::Boolean, "false", "loop",
       "stamp every tensor put and compare every tensor read back; mismatches are recorded as "
       "failed operations"},
      {"baseline", ParamType::Boolean, "true", "loop",
       "throughput: after the store loop, run the same exchange over plain MPI with each "
       "client's database rank, recorded as raw_put_tensor and raw_unpack_tensor"},

      // The database.
      {"db_max_memory", ParamType::Bytes, "0", "store",
       "tensor memory each database rank may hold; a put beyond it is refused (0: no limit)"},
      {"mpi_inline_bytes", ParamType::Bytes, "16KiB", "store",
       "mpi store: payloads up to this size travel inside the request or reply message "
       "(one copy each side); larger ones go straight between user and tensor memory",
       {}, 0, 65536},

      // Results.
      {"output", ParamType::Text, "scalestudy_point.h5", "output",
       "HDF5 file for this point's samples (written as <output>.tmp, renamed when complete)"},
  };
  return schema;
}
// clang-format on

}  // namespace scalestudy::core
