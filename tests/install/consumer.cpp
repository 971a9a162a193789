// A program outside scalestudy's tree, built against an installed copy: it runs one throughput
// point and, when the copy has libtorch, one inference point (the plugin and the models found
// beside the installed library), then says where those files were found.
#include <mpi.h>

#include <cstdio>
#include <exception>
#include <string>

#include "core/catalog.hpp"
#include "core/package_files.hpp"
#include "core/parameters.hpp"
#include "point/run_point.hpp"

namespace {

namespace core = scalestudy::core;

/// Runs a point of `workload` writing `output`, with a few iterations on virtual nodes.
void run(const std::string& workload, const std::string& output) {
  core::Parameters params;
  params.set("workload", workload, "consumer");
  params.set("ranks_per_node", "1", "consumer");
  params.set("iterations", "3", "consumer");
  params.set("output", output, "consumer");
  if (workload == "inference") {  // the smallest model the build traces
    params.set("model", "tiny_cnn", "consumer");
    params.set("image_size", "32", "consumer");
    params.set("baseline", "false", "consumer");
  }
  scalestudy::point::run_point(params, "scalestudy_consumer");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: scalestudy_consumer OUTPUT_DIR with_torch(0|1)\n");
    return 2;
  }
  const std::string directory = argv[1];
  const bool with_torch = std::string(argv[2]) == "1";
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  try {
    run("throughput", directory + "/throughput.h5");
    if (with_torch) run("inference", directory + "/inference.h5");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "[rank %d] %s\n", rank, error.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (rank == 0) {
    std::printf("parameters: %zu\n", core::parameter_schema().size());
    std::printf("library directory: %s\n", core::package_library_directory().c_str());
    std::printf("models directory: %s\n", core::models_directory().c_str());
    std::printf("torch plugin: %s\n", core::torch_plugin_path().c_str());
  }
  MPI_Finalize();
  return 0;
}
