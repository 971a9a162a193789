// srun launch lines: nodes and tasks, uneven nodes, binding, oversubscription, MPMD.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "launch/launch_line.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {
namespace {

Launch srun_launch(const std::string& parameters, int cpus_per_node,
                   const std::string& launcher = "") {
  const study::Study study =
      study::parse_study("name: s\nparameters: {" + parameters +
                             "}\nlauncher: {kind: srun, mpi: pmix" + launcher + "}\n",
                         "s.yaml");
  LaunchHost host;
  host.rank_program = "/opt/scalestudy-rank";
  host.python = "/usr/bin/python3";
  host.python_path = std::filesystem::temp_directory_path().string();
  host.allocation.kind = Allocation::Kind::Slurm;
  host.allocation.hosts = {"n1", "n2", "n3", "n4"};
  host.allocation.cpus_per_node = cpus_per_node;
  const auto& point = study.points.front();
  return build_launch(study, point, point_files(study, point), host);
}

bool has(const Launch& launch, const std::string& word) {
  return std::find(launch.argv.begin(), launch.argv.end(), word) != launch.argv.end();
}

std::string env_of(const Launch& launch, const std::string& name) {
  for (const auto& [key, value] : launch.env) {
    if (key == name) return value;
  }
  return "<unset>";
}

TEST(SrunLine, EvenNodesUseTasksPerNode) {
  const Launch launch = srun_launch(
      "client_nodes: 2, ranks_per_node: 2, db_ranks_per_node: 2, "
      "deployment: colocated",
      8);
  EXPECT_EQ(launch.argv[0], "srun");
  EXPECT_TRUE(has(launch, "--nodes=2"));
  EXPECT_TRUE(has(launch, "--ntasks=8"));
  EXPECT_TRUE(has(launch, "--ntasks-per-node=4"));
  EXPECT_TRUE(has(launch, "--cpus-per-task=1"));
  EXPECT_TRUE(has(launch, "--cpu-bind=cores"));
  EXPECT_TRUE(has(launch, "--mpi=pmix"));
  EXPECT_TRUE(has(launch, "--export=ALL"));
  EXPECT_FALSE(has(launch, "--overcommit"));
  EXPECT_TRUE(launch.files.empty());
  EXPECT_TRUE(launch.programs.empty()) << "srun exports the environment, no -x";
  EXPECT_EQ(env_of(launch, "OMP_PLACES"), "cores");
  EXPECT_EQ(launch.argv[launch.argv.size() - 3], "/opt/scalestudy-rank");
  // Nothing of Open MPI's.
  for (const auto& word : launch.argv) EXPECT_NE(word.rfind("-x", 0), 0U) << word;
}

TEST(SrunLine, UnevenNodesGetAnArbitraryDistribution) {
  const Launch launch = srun_launch(
      "client_nodes: 2, ranks_per_node: 2, db_nodes: 1, db_ranks_per_node: 1, consumers: 1", 8);
  EXPECT_TRUE(has(launch, "--nodes=4"));
  EXPECT_TRUE(has(launch, "--ntasks=6"));
  EXPECT_TRUE(has(launch, "--distribution=arbitrary"));
  ASSERT_EQ(launch.files.size(), 1U);
  EXPECT_EQ(launch.files[0].text, "n1\nn1\nn2\nn2\nn3\nn4\n");
  EXPECT_EQ(env_of(launch, "SLURM_HOSTFILE"), launch.files[0].path);
}

TEST(SrunLine, OversubscribedNodesAreOvercommittedAndUnbound) {
  const Launch launch =
      srun_launch("client_nodes: 1, ranks_per_node: 2, client_threads: 2, db_threads: 3", 2);
  EXPECT_TRUE(launch.oversubscribed);
  EXPECT_TRUE(has(launch, "--cpus-per-task=3"));
  EXPECT_TRUE(has(launch, "--cpu-bind=none"));
  EXPECT_TRUE(has(launch, "--overcommit"));
  EXPECT_EQ(env_of(launch, "OMP_WAIT_POLICY"), "passive");
  // The study's own --cpu-bind replaces scalestudy's.
  const Launch own =
      srun_launch("client_nodes: 1, ranks_per_node: 1", 8, ", args: [--cpu-bind=sockets]");
  EXPECT_TRUE(has(own, "--cpu-bind=sockets"));
  EXPECT_FALSE(has(own, "--cpu-bind=cores"));
}

TEST(SrunLine, PythonConsumersAreASecondProgramByRankRange) {
  const auto package = std::filesystem::temp_directory_path() / "scalestudy";
  std::filesystem::create_directories(package);
  { std::ofstream(package / "consumer.py") << "# test\n"; }
  const Launch launch = srun_launch(
      "workload: aggregation, client_nodes: 1, ranks_per_node: 2, consumers: 2, "
      "consumer_language: python",
      8);
  std::filesystem::remove_all(package);
  EXPECT_TRUE(has(launch, "--multi-prog"));
  const std::string* programs = nullptr;
  for (const auto& file : launch.files) {
    if (file.path.ends_with("multi-prog.conf")) programs = &file.text;
  }
  ASSERT_NE(programs, nullptr);
  EXPECT_NE(programs->find("0-2 /opt/scalestudy-rank --point "), std::string::npos) << *programs;
  EXPECT_NE(programs->find("3-4 /usr/bin/python3 -m scalestudy.consumer --point "),
            std::string::npos)
      << *programs;
  EXPECT_NE(env_of(launch, "PYTHONPATH"), "<unset>");
}

}  // namespace
}  // namespace scalestudy::launch
