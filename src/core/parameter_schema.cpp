// The table of every parameter a point may set: name, type, default and meaning.
#include "core/parameters.hpp"

namespace scalestudy::core {

// clang-format off
const std::vector<ParamSpec>& parameter_schema() {
  static const std::vector<ParamSpec> schema = {
      // What runs.
      {"workload", ParamType::Choice, "throughput", "point",
       "client loop to run: throughput (put/unpack of one tensor per client, as "
       "SmartSim-Scaling), mpi_baseline (the same exchange over plain MPI_Send/MPI_Recv), "
       "simulation (a 3-D heat stencil over the clients, coupled to the store every "
       "couple_every steps), aggregation (producer clients put datasets and append them to a "
       "list per iteration, consumer ranks poll and fetch each list, as SmartSim-Scaling)",
       {"throughput", "mpi_baseline", "inference", "inference_baseline", "simulation",
        "aggregation"}},
      {"backend", ParamType::Choice, "mpi", "point",
       "store the database ranks serve: mpi (scalestudy's own MPI tensor store), redis (one "
       "redis-server per database rank, started and stopped by it; clients use hiredis), fs "
       "(datasets as files in a shared directory, lists as directories: the file-system "
       "baseline of the aggregation workload)",
       {"mpi", "redis", "fs"}},
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
      {"client_threads", ParamType::Integer, "1", "layout",
       "threads of each client rank: OpenMP threads of a simulation client, fetch threads "
       "(requests in flight) of an aggregation consumer; the launcher gives each client rank "
       "this many cores", {}, 1},
      {"db_threads", ParamType::Integer, "1", "layout",
       "cores the launcher gives each database rank (its progress loop and model workers)", {},
       1},
      {"db_nodes", ParamType::Integer, "1", "layout",
       "standard deployment: number of nodes that hold only database ranks (the last nodes)", {},
       1},
      {"consumers", ParamType::Integer, "0", "layout",
       "consumer ranks (aggregation; standard deployment): the last ranks of the job, on a node "
       "of their own after the database nodes", {}, 0},
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
       "after the store loop, run the limit it is measured against in the same job: "
       "throughput: the same exchange over plain MPI (raw_put_tensor, raw_unpack_tensor); "
       "inference: the same script and model in-process (local_run_script, local_run_model)"},

      // Inference.
      {"model", ParamType::Text, "resnet50", "inference",
       "TorchScript model: resnet50, resnet18 or tiny_cnn (traced into build/models by the "
       "build), or the path of a .pt file"},
      {"script", ParamType::Text, "", "inference",
       "TorchScript source with pre_process_3ch (default: build/models/"
       "data_processing_script.txt)"},
      {"pipeline", ParamType::Choice, "full", "inference",
       "full: every iteration puts the images, runs the script and the model, and unpacks the "
       "scores (SmartSim-Scaling); model_only: only run_model repeats on stored inputs, as a "
       "model server's load generator (Triton's perf_analyzer) sends requests",
       {"full", "model_only"}},
      {"batch_size", ParamType::Integer, "1", "inference",
       "images per request (batch_size x image_size x image_size x 3 float32)", {}, 1},
      {"image_size", ParamType::Integer, "224", "inference",
       "height and width of the images (tiny_cnn was traced on 32)", {}, 1},
      {"instances", ParamType::Integer, "1", "inference",
       "copies of the model on each database rank, each with its own workers", {}, 1},
      {"db_threads_per_queue", ParamType::Integer, "1", "inference",
       "worker threads per model instance on each database rank", {}, 1},
      {"intra_op_threads", ParamType::Integer, "1", "inference",
       "threads one libtorch operator may use (database workers and in-process baselines)", {},
       1},
      {"inter_op_threads", ParamType::Integer, "1", "inference",
       "libtorch threads for independent operators", {}, 1},
      {"max_batch_size", ParamType::Integer, "0", "inference",
       "dynamic batching: most rows the database batches into one call (0: every request "
       "alone)", {}, 0},
      {"max_queue_delay_us", ParamType::Integer, "0", "inference",
       "dynamic batching: longest a request waits for others to fill its batch", {}, 0},

      // The simulation.
      {"kernel_backend", ParamType::Choice, "openmp", "simulation",
       "implementation of the simulation's kernels: openmp, or kokkos when this scalestudy was "
       "built with Kokkos", {"openmp", "kokkos"}},
      {"block_points", ParamType::Integer, "32", "simulation",
       "weak scaling: grid points along each axis of every client's block; the global grid is "
       "the clients' process grid (MPI_Dims_create) times this", {}, 1, 1 << 20},
      {"grid_points", ParamType::Integer, "0", "simulation",
       "strong scaling: grid points along each axis of the global grid, whatever the number of "
       "clients, divided over their process grid (it must divide evenly along every axis); "
       "0: block_points per client", {}, 0, 1 << 20},
      {"couple_every", ParamType::Integer, "10", "simulation",
       "simulation: time steps (iterations) between two couplings to the store, and between "
       "two diagnostics", {}, 1},
      {"coupling", ParamType::Choice, "put", "simulation",
       "what the simulation does every couple_every steps: put (a slice of the field), "
       "inference (images made from the field through the model and script of the inference "
       "workload), aggregate (the slice as a dataset appended to the coupling's list), or none",
       {"put", "inference", "aggregate", "none"}},
      {"slice_planes", ParamType::Integer, "1", "simulation",
       "coupling put and aggregate: x-planes of the block, from its middle, sent each coupling "
       "as one float64 tensor (block_points for the whole block)", {}, 1, 1 << 20},

      // Data aggregation.
      {"tensors_per_dataset", ParamType::Integer, "4", "aggregation",
       "aggregation: tensors of tensor_bytes (float32, {1, tensor_bytes/4}) in each producer's "
       "dataset", {}, 1, 4096},
      {"consumer_language", ParamType::Choice, "cpp", "aggregation",
       "aggregation: what the consumer ranks run: cpp (scalestudy-rank) or python (python3 -m "
       "scalestudy.consumer through mpi4py, launched as the consumer part of an MPMD mpirun)",
       {"cpp", "python"}},
      {"poll_interval_ms", ParamType::Integer, "0", "aggregation",
       "aggregation: consumer rank 0 polls the list length this often (0: SmartSim-Scaling's, "
       "5 ms for the C++ consumer on a database, 50 ms for the Python consumer or the fs "
       "backend)", {}, 0},
      {"poll_tries", ParamType::Integer, "100000", "aggregation",
       "aggregation: polls before the consumer gives up on a list", {}, 1},
      {"producer_poll_ms", ParamType::Integer, "1000", "aggregation",
       "aggregation: producer rank 0 sleeps this long between checks that the previous "
       "iteration's list was consumed (SmartSim-Scaling: 1000)", {}, 0},
      {"put_each_iteration", ParamType::Boolean, "true", "aggregation",
       "aggregation: producers put their dataset every iteration (SmartSim-Scaling's Python "
       "study) rather than once before the loop (its C++ and file-system studies)"},
      {"fs_directory", ParamType::Text, "", "aggregation",
       "fs backend: the shared directory; a fresh subdirectory is made in it and removed at the "
       "end (empty: <output>.fs beside the results file)"},

      // The database.
      {"db_max_memory", ParamType::Bytes, "0", "store",
       "tensor memory each database rank may hold; a put beyond it is refused (0: no limit)"},
      {"mpi_inline_bytes", ParamType::Bytes, "16KiB", "store",
       "mpi store: payloads up to this size travel inside the request or reply message "
       "(one copy each side); larger ones go straight between user and tensor memory",
       {}, 0, 65536},
      {"redis_port", ParamType::Integer, "0", "store",
       "redis backend: TCP port of shard 0's redis-server, shard s listens on redis_port + s "
       "(0: each picks a free port)", {}, 0, 65535},
      {"redis_socket", ParamType::Choice, "auto", "store",
       "redis backend: how clients reach redis-server: unix (a unix socket, same node only), "
       "tcp, or auto (unix when colocated, else tcp)",
       {"auto", "tcp", "unix"}},
      {"redis_io_threads", ParamType::Integer, "1", "store",
       "redis backend: redis-server's io-threads (above 1 also io-threads-do-reads)", {}, 1, 128},
      {"redis_maxclients", ParamType::Integer, "10000", "store",
       "redis backend: redis-server's maxclients", {}, 1, 1000000},

      {"wait_spin_us", ParamType::Integer, "50", "store",
       "how long a waiting rank (a database progress loop, a client awaiting a reply) polls "
       "before it starts sleeping, in microseconds (0 sleeps at once: every reply then waits "
       "for a wake-up, measured at 200 us per 1 KiB put on a 2-core VM against 1 us)",
       {}, 0},
      {"wait_max_sleep_us", ParamType::Integer, "100", "store",
       "longest sleep of a waiting rank between polls, in microseconds (0: never sleep)", {}, 0},

      // Results.
      {"output", ParamType::Text, "scalestudy_point.h5", "output",
       "HDF5 file for this point's samples (written as <output>.tmp, renamed when complete)"},
  };
  return schema;
}
// clang-format on

}  // namespace scalestudy::core
