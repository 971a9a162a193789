// Threads and placement: host loads and oversubscription, the launch lines of thread sweeps,
// the simulation's decomposition, and strong scaling of a fixed simulation grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/placement.hpp"
#include "launch/launch_line.hpp"
#include "study/study.hpp"
#include "workloads/cartesian_domain.hpp"
#include "workloads/simulation.hpp"

namespace scalestudy {
namespace {

using launch::Launch;
using launch::LaunchHost;

/// A simulation study on one client node: `parameters` (a YAML mapping) and more keys.
study::Study threads_study(const std::string& extra,
                           const std::string& parameters = "{client_nodes: 1}") {
  return study::parse_study(
      "name: t\nworkload: simulation\nparameters: " + parameters + "\n" + extra, "t.yaml");
}

/// The launch of the study's point that has `client_threads` and `ranks_per_node`.
Launch launch_of(const study::Study& study, int ranks, int threads, int cores) {
  LaunchHost host;
  host.rank_program = "scalestudy-rank";
  host.cores = cores;
  for (const auto& point : study.points) {
    if (point.params.integer("ranks_per_node") == ranks &&
        point.params.integer("client_threads") == threads) {
      return launch::build_launch(study, point, launch::point_files(study, point), host);
    }
  }
  ADD_FAILURE() << "no point " << ranks << "x" << threads;
  return {};
}

std::string env_of(const Launch& launch, const std::string& name) {
  for (const auto& [key, value] : launch.env) {
    if (key == name) return value;
  }
  return "<unset>";
}

bool has_words(const Launch& launch, const std::vector<std::string>& words) {
  return std::search(launch.argv.begin(), launch.argv.end(), words.begin(), words.end()) !=
         launch.argv.end();
}

bool exported(const Launch& launch, const std::string& name) {
  return has_words(launch, {"-x", name});
}

const char* kSweep =
    "zip:\n"
    "  - ranks_per_node: [1, 1, 2, 2]\n"
    "    client_threads: [1, 2, 1, 2]\n";

TEST(HostLoads, SumThreadsPerHostAndFlagOversubscription) {
  const auto loads = core::host_loads({"a", "a", "b", "a"}, {2, 1, 4, 2}, {4, 4, 4, 4});
  ASSERT_EQ(loads.size(), 2U);
  EXPECT_EQ(loads[0].host, "a");
  EXPECT_EQ(loads[0].ranks, 3);
  EXPECT_EQ(loads[0].threads, 5);
  EXPECT_TRUE(loads[0].oversubscribed());
  EXPECT_EQ(loads[1].threads, 4);
  EXPECT_FALSE(loads[1].oversubscribed());  // exactly full is not oversubscribed
  EXPECT_EQ(core::busiest_host(loads).host, "a");
  // A host with more CPUs that runs more threads is not the busiest if it is not over.
  const auto other = core::host_loads({"a", "b"}, {3, 6}, {2, 8});
  EXPECT_EQ(core::busiest_host(other).host, "a");
  EXPECT_THROW(core::host_loads({"a"}, {1, 2}, {1}), ConfigError);
}

TEST(HostLoads, CpuListsAndNodeCpus) {
  EXPECT_EQ(core::cpu_list({}), "");
  EXPECT_EQ(core::cpu_list({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_GE(core::node_cpus(), 1);
  const double start = core::process_start_epoch();
  ASSERT_TRUE(std::isfinite(start));
  EXPECT_LE(start, core::epoch_seconds());
  EXPECT_GT(start, core::epoch_seconds() - 3600);  // this test started less than an hour ago
}

TEST(LaunchLine, ThreadSweepOnVirtualNodesBindsOnlyWhatFits) {
  const auto study = threads_study(kSweep);
  ASSERT_EQ(study.points.size(), 4U);

  // 1 client x 1 thread + 1 database rank on 2 CPUs: every thread has its own CPU.
  const Launch fits = launch_of(study, 1, 1, 2);
  EXPECT_FALSE(fits.oversubscribed);
  EXPECT_TRUE(has_words(fits, {"--map-by", "slot:PE=1", "--bind-to", "hwthread"}));
  EXPECT_TRUE(has_words(fits, {"--use-hwthread-cpus"}));
  EXPECT_EQ(env_of(fits, "OMP_NUM_THREADS"), "1");
  EXPECT_EQ(env_of(fits, "OMP_PLACES"), "threads");
  EXPECT_EQ(env_of(fits, "OMP_PROC_BIND"), "close");
  EXPECT_EQ(env_of(fits, "OMP_WAIT_POLICY"), "active");
  EXPECT_TRUE(exported(fits, "OMP_NUM_THREADS") && exported(fits, "OMP_WAIT_POLICY"));
  EXPECT_NE(env_of(fits, "SCALESTUDY_PLACEMENT").find("bound"), std::string::npos);

  // 1 x 2 + the database rank = 3 threads on 2 CPUs: unbound, passive waits.
  const Launch over = launch_of(study, 1, 2, 2);
  EXPECT_TRUE(over.oversubscribed);
  EXPECT_TRUE(has_words(over, {"--bind-to", "none"}));
  EXPECT_FALSE(has_words(over, {"--map-by"}));
  EXPECT_EQ(env_of(over, "OMP_NUM_THREADS"), "2");
  EXPECT_EQ(env_of(over, "OMP_WAIT_POLICY"), "passive");
  EXPECT_EQ(env_of(over, "OMP_PROC_BIND"), "false");
  EXPECT_EQ(env_of(over, "OMP_PLACES"), "<unset>");
  EXPECT_NE(over.placement.find("oversubscribed: 3 threads on this machine's 2 CPUs"),
            std::string::npos)
      << over.placement;

  // The same point on 8 CPUs: clients need 2 CPUs, the database rank 1: a rankfile.
  const Launch uneven = launch_of(study, 1, 2, 8);
  EXPECT_FALSE(uneven.oversubscribed);
  EXPECT_TRUE(has_words(uneven, {"--rankfile"}));
  ASSERT_EQ(uneven.files.size(), 1U);
  const std::string& rankfile = uneven.files.front().text;
  EXPECT_EQ(uneven.files.front().path.substr(uneven.files.front().path.rfind('/')), "/rankfile");
  EXPECT_NE(rankfile.find("rank 0="), std::string::npos);
  EXPECT_NE(rankfile.find(" slot=0-1\n"), std::string::npos) << rankfile;
  EXPECT_NE(rankfile.find("rank 1="), std::string::npos);
  EXPECT_NE(rankfile.find(" slot=2\n"), std::string::npos) << rankfile;
  EXPECT_EQ(env_of(uneven, "OMP_NUM_THREADS"), "2");

  // 2 x 2 + database = 5 threads on 8 CPUs; with client_threads = db_threads, PE mapping.
  const auto even =
      threads_study("", "{client_nodes: 1, ranks_per_node: 2, client_threads: 2, db_threads: 2}");
  const Launch pe = launch_of(even, 2, 2, 8);
  EXPECT_TRUE(has_words(pe, {"--map-by", "slot:PE=2", "--bind-to", "hwthread"}));
  EXPECT_FALSE(pe.oversubscribed);
  EXPECT_TRUE(launch_of(even, 2, 2, 5).oversubscribed);  // 6 threads on 5 CPUs
}

TEST(LaunchLine, RealNodesMapEachRankToItsCores) {
  auto study = threads_study(kSweep);
  study.launcher.hostfile = "hosts.txt";
  LaunchHost host;
  host.rank_program = "scalestudy-rank";
  host.cores = 4;
  host.allocation.kind = launch::Allocation::Kind::Hostfile;
  host.allocation.hosts = {"n1", "n2"};
  for (const auto& point : study.points) {
    const Launch launch =
        launch::build_launch(study, point, launch::point_files(study, point), host);
    const auto ranks = point.params.integer("ranks_per_node");
    const auto threads = point.params.integer("client_threads");
    // The client node holds ranks x threads, the database node 1: 2 x 2 fits 4 cores.
    EXPECT_FALSE(launch.oversubscribed) << ranks << "x" << threads;
    EXPECT_TRUE(has_words(launch, {"--map-by", "slot:PE=" + std::to_string(threads)}));
    EXPECT_TRUE(has_words(launch, {"--bind-to", "core"}));
    EXPECT_EQ(env_of(launch, "OMP_PLACES"), "cores");
  }
  // Nodes of a batch job with 2 CPUs each (SLURM_CPUS_ON_NODE): 2 x 2 no longer fits.
  host.allocation.cpus_per_node = 2;
  const auto& last = study.points.back();
  const Launch small = launch::build_launch(study, last, launch::point_files(study, last), host);
  EXPECT_TRUE(small.oversubscribed);
  EXPECT_TRUE(has_words(small, {"--bind-to", "none"}));
  EXPECT_TRUE(has_words(small, {"--map-by", "slot"}));
}

TEST(LaunchLine, TheStudysBindingAndEnvironmentWin) {
  const auto study = threads_study(std::string(kSweep) +
                                   "launcher:\n  bind_to: socket\n"
                                   "  env: {OMP_WAIT_POLICY: active, OMP_NUM_THREADS: 7}\n");
  const Launch launch = launch_of(study, 2, 2, 2);
  EXPECT_TRUE(has_words(launch, {"--bind-to", "socket"}));
  EXPECT_FALSE(has_words(launch, {"--bind-to", "none"}));
  EXPECT_EQ(env_of(launch, "OMP_WAIT_POLICY"), "active");
  EXPECT_EQ(env_of(launch, "OMP_NUM_THREADS"), "7");
  EXPECT_EQ(std::count_if(launch.env.begin(), launch.env.end(),
                          [](const auto& e) { return e.first == "OMP_NUM_THREADS"; }),
            1);
  EXPECT_TRUE(launch.oversubscribed);
  EXPECT_NE(launch.placement.find("(oversubscribed)"), std::string::npos) << launch.placement;
}

TEST(LaunchLine, LaunchTimeIsExportedBeforeTheProgram) {
  const auto study = threads_study(kSweep);
  Launch launch = launch_of(study, 1, 1, 2);
  const auto words = launch.argv.size();
  launch::stamp_launch_time(launch, 1700000000.25);
  ASSERT_EQ(launch.argv.size(), words + 2);
  EXPECT_EQ(env_of(launch, "SCALESTUDY_LAUNCH_TIME"), "1700000000.250000");
  const auto n = launch.argv.size();
  EXPECT_EQ(launch.argv[n - 5], "-x");
  EXPECT_EQ(launch.argv[n - 4], "SCALESTUDY_LAUNCH_TIME");
  EXPECT_EQ(launch.argv[n - 3], "scalestudy-rank");
  EXPECT_EQ(launch.argv[n - 2], "--point");
}

TEST(Decomposition, ProcessGridsAreBalancedAndNonIncreasing) {
  using Grid = std::array<int, 3>;
  EXPECT_EQ(workloads::process_grid(1), (Grid{1, 1, 1}));
  EXPECT_EQ(workloads::process_grid(2), (Grid{2, 1, 1}));
  EXPECT_EQ(workloads::process_grid(4), (Grid{2, 2, 1}));
  EXPECT_EQ(workloads::process_grid(6), (Grid{3, 2, 1}));
  EXPECT_EQ(workloads::process_grid(8), (Grid{2, 2, 2}));
  EXPECT_EQ(workloads::process_grid(12), (Grid{3, 2, 2}));
  EXPECT_EQ(workloads::process_grid(7), (Grid{7, 1, 1}));
  EXPECT_THROW(workloads::process_grid(0), ConfigError);
}

core::Parameters simulation_params(int block, int grid) {
  core::Parameters params;
  params.set("workload", "simulation", "test");
  params.set("block_points", std::to_string(block), "test");
  params.set("grid_points", std::to_string(grid), "test");
  return params;
}

workloads::SimulationParameters simulation_of(int block, int grid) {
  return workloads::SimulationParameters::of(simulation_params(block, grid));
}

TEST(Decomposition, WeakKeepsTheBlockStrongDividesTheGrid) {
  const auto weak = workloads::decompose(simulation_of(16, 0), {3, 2, 1});
  EXPECT_EQ(weak.block, (std::array<std::size_t, 3>{16, 16, 16}));
  EXPECT_EQ(weak.global, (std::array<std::size_t, 3>{48, 32, 16}));
  const auto strong = workloads::decompose(simulation_of(16, 24), {3, 2, 1});
  EXPECT_EQ(strong.global, (std::array<std::size_t, 3>{24, 24, 24}));
  EXPECT_EQ(strong.block, (std::array<std::size_t, 3>{8, 12, 24}));
  EXPECT_EQ(workloads::block_offset(strong, {2, 1, 0}), (std::array<std::size_t, 3>{16, 12, 0}));
  try {
    workloads::decompose(simulation_of(16, 64), {3, 1, 1});
    FAIL() << "64 points do not split over 3 ranks";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("use a multiple of 3, e.g. 63 or 66"),
              std::string::npos)
        << error.what();
  }
}

TEST(Decomposition, TheSineModeDependsOnGlobalIndicesOnly) {
  const auto whole = workloads::decompose(simulation_of(1, 12), {1, 1, 1});
  const auto split = workloads::decompose(simulation_of(1, 12), {2, 2, 1});
  const auto all = workloads::sine_mode(whole, {0, 0, 0});
  ASSERT_EQ(all.size(), 12U * 12U * 12U);
  const auto part = workloads::sine_mode(split, workloads::block_offset(split, {1, 0, 0}));
  ASSERT_EQ(part.size(), 6U * 6U * 12U);
  for (std::size_t i = 0; i < 6; ++i) {
    for (std::size_t j = 0; j < 6; ++j) {
      for (std::size_t k = 0; k < 12; ++k) {
        EXPECT_EQ(part[(i * 6 + j) * 12 + k], all[((i + 6) * 12 + j) * 12 + k]);
      }
    }
  }
  EXPECT_GT(*std::min_element(all.begin(), all.end()), 0.0);
  EXPECT_LT(*std::max_element(all.begin(), all.end()), 1.0);
}

TEST(SimulationStudy, StrongScalingOfAFixedGridNeedsNoDivide) {
  const auto study = study::parse_study(
      "name: s\nworkload: simulation\n"
      "parameters: {ranks_per_node: 1, grid_points: 24}\n"
      "sweep: {client_nodes: [1, 2, 3, 4]}\n"
      "scaling: strong\n",
      "s.yaml");
  EXPECT_EQ(study.points.size(), 4U);
  EXPECT_TRUE(study.scaling.divide.empty());
  // Without a fixed grid, strong scaling still needs to know what to divide.
  EXPECT_THROW(study::parse_study("name: s\nworkload: simulation\n"
                                  "parameters: {ranks_per_node: 1}\n"
                                  "sweep: {client_nodes: [1, 2]}\nscaling: strong\n",
                                  "s.yaml"),
               ConfigError);
}

TEST(SimulationStudy, PointsThatCannotDecomposeOrCoupleAreRefused) {
  const workloads::Simulation simulation;
  const auto refuses = [&](const std::string& extra, const std::string& expected) {
    core::Parameters params = simulation_params(8, 0);
    params.set("client_nodes", "1", "test");
    std::istringstream lines(extra);
    for (std::string line; std::getline(lines, line);) {
      const auto colon = line.find(':');
      params.set(line.substr(0, colon), line.substr(colon + 2), "test");
    }
    try {
      simulation.validate(params);
      ADD_FAILURE() << extra << ": accepted";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
    }
  };
  refuses("ranks_per_node: 3\ngrid_points: 16", "does not divide evenly over the 3x1x1");
  refuses("ranks_per_node: 1\nslice_planes: 9", "slice_planes=9 exceeds the 8 x-planes");
  refuses("ranks_per_node: 1\ncouple_every: 500", "couple_every=500 exceeds the 101 steps");
  refuses("ranks_per_node: 1\ncoupling: aggregate\nslice_planes: 9", "slice_planes=9 exceeds");
  core::Parameters fine = simulation_params(8, 0);
  fine.set("client_nodes", "1", "test");
  fine.set("ranks_per_node", "4", "test");
  EXPECT_NO_THROW(simulation.validate(fine));
}

}  // namespace
}  // namespace scalestudy
