// Consumer ranks: where the layout puts them, how many ranks and nodes a point needs, and the
// MPMD launch line of a Python consumer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/layout.hpp"
#include "launch/launch_line.hpp"
#include "study/study.hpp"

namespace scalestudy {
namespace {

core::LayoutRequest consumer_request(int world, int per_node, int db_nodes, int db_per_node,
                                     int consumers) {
  core::LayoutRequest r;
  r.world_size = world;
  r.virtual_nodes = true;
  r.ranks_per_node = per_node;
  r.db_nodes = db_nodes;
  r.db_ranks_per_node = db_per_node;
  r.consumers = consumers;
  return r;
}

std::string layout_error(const core::LayoutRequest& request) {
  try {
    core::plan_layout(request);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ConsumerLayout, ConsumersAreTheLastRanksOnANodeOfTheirOwn) {
  // 4 clients on 2 nodes, 2 database nodes of 1, 2 consumers.
  const core::Layout l = core::plan_layout(consumer_request(8, 2, 2, 1, 2));
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4, 5}));
  EXPECT_EQ(l.consumer_ranks, (std::vector<int>{6, 7}));
  EXPECT_EQ(l.node_count, 5);
  EXPECT_EQ(l.ranks[6].node, 4);
  EXPECT_EQ(l.ranks[7].node, 4);
  EXPECT_EQ(l.ranks[7].role, core::Role::Consumer);
  EXPECT_EQ(l.ranks[7].index, 1);
  // Consumers reach every shard, and every shard waits for them too.
  const auto shards = l.shards_of_rank(6);
  EXPECT_EQ(std::vector<int>(shards.begin(), shards.end()), (std::vector<int>{0, 1}));
  EXPECT_TRUE(l.shards_of_rank(4).empty());
  EXPECT_EQ(l.clients_of_shard(1), 6);
  EXPECT_EQ(l.users_of_shard(0), (std::vector<int>{0, 1, 2, 3, 6, 7}));
  EXPECT_STREQ(core::role_name(core::Role::Consumer), "consumer");
  const std::string map = l.describe({});
  EXPECT_NE(map.find("4 clients, 2 database ranks, 2 consumers"), std::string::npos) << map;
  EXPECT_NE(map.find("node 4: consumers on ranks 6-7"), std::string::npos) << map;
}

TEST(ConsumerLayout, RealNodesPutConsumersAloneOnTheLastNode) {
  core::LayoutRequest r;
  r.world_size = 5;
  r.real_node_of_rank = {0, 0, 1, 2, 3};
  r.consumers = 1;
  const core::Layout l = core::plan_layout(r);
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{3}));
  EXPECT_EQ(l.consumer_ranks, (std::vector<int>{4}));
  r.real_node_of_rank = {0, 0, 1, 2, 2};  // the consumer shares the database's node
  EXPECT_NE(layout_error(r).find("must be alone on the last node"), std::string::npos)
      << layout_error(r);
}

TEST(ConsumerLayout, ImpossibleConsumerLayoutsSayWhatToChange) {
  EXPECT_NE(layout_error(consumer_request(3, 1, 1, 1, 2)).find("leaves no client"),
            std::string::npos);
  core::LayoutRequest colocated = consumer_request(4, 1, 1, 1, 1);
  colocated.deployment = core::Deployment::Colocated;
  EXPECT_NE(layout_error(colocated).find("consumer ranks need the standard deployment"),
            std::string::npos);
  EXPECT_NE(layout_error(consumer_request(4, 1, 1, 1, -1)).find("consumers must be 0 or more"),
            std::string::npos);
}

TEST(ConsumerLayout, ExpectedWorldSizeCountsConsumers) {
  core::LayoutRequest r = consumer_request(0, 32, 16, 2, 1);
  r.client_nodes = 128;
  EXPECT_EQ(core::expected_world_size(r), 128 * 32 + 16 * 2 + 1);
}

/// The launch of the only point of an aggregation study with `extra` parameters.
launch::Launch aggregation_launch(const std::string& extra, const std::string& launcher = "") {
  const study::Study study = study::parse_study(
      "name: a\nworkload: aggregation\nparameters: {client_nodes: 2, ranks_per_node: 2, "
      "consumers: 1" +
          extra + "}\n" + launcher,
      "a.yaml");
  EXPECT_EQ(study.points.size(), 1U);
  EXPECT_EQ(study.points.front().world_size, 6);
  launch::LaunchHost host;
  host.rank_program = "/opt/scalestudy/scalestudy-rank";
  host.python = "/usr/bin/python3";
  host.python_path = std::filesystem::temp_directory_path().string();
  host.cores = 64;
  host.hosts = {"n0", "n1", "n2", "n3"};
  const auto& point = study.points.front();
  return launch::build_launch(study, point, launch::point_files(study, point), host);
}

TEST(ConsumerLaunch, CppConsumersAreRanksOfTheOneProgram) {
  const launch::Launch launch = aggregation_launch("");
  const auto& a = launch.argv;
  EXPECT_EQ(std::count(a.begin(), a.end(), ":"), 0);
  EXPECT_EQ(a[1], "-n");
  EXPECT_EQ(a[2], "6");
  EXPECT_EQ(launch.programs.size(), 1U);
}

TEST(ConsumerLaunch, PythonConsumersAreTheSecondAppContextOfAnMpmdLine) {
  const auto package = std::filesystem::temp_directory_path() / "scalestudy";
  std::filesystem::create_directories(package);
  { std::ofstream(package / "consumer.py") << "# test\n"; }
  launch::Launch launch = aggregation_launch(", consumer_language: python",
                                             "launcher: {hostfile: hosts.txt, env: {A: b}}");
  std::filesystem::remove_all(package);
  const auto& a = launch.argv;
  const auto colon = std::find(a.begin(), a.end(), ":");
  ASSERT_NE(colon, a.end()) << launch::shell_line(launch);
  EXPECT_EQ(a[2], "5") << "scalestudy-rank runs every rank but the consumer";
  const std::vector<std::string> second(colon, a.end());
  EXPECT_EQ(second[1], "-n");
  EXPECT_EQ(second[2], "1");
  // Exports repeat in the consumers' context (-x is per app context), PYTHONPATH included.
  const std::vector<std::string> export_a = {"-x", "A"};
  EXPECT_NE(std::search(second.begin(), second.end(), export_a.begin(), export_a.end()),
            second.end());
  const std::string line = launch::shell_line(launch);
  EXPECT_NE(line.find("-x PYTHONPATH /usr/bin/python3 -m scalestudy.consumer --point "),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("PYTHONPATH=" + std::filesystem::temp_directory_path().string()),
            std::string::npos);
  // Client nodes, the database node, then the consumer node, each with its slots.
  EXPECT_EQ(launch.hostfile_text, "n0 slots=2\nn1 slots=2\nn2 slots=1\nn3 slots=1\n");
  // The launch time reaches both programs.
  ASSERT_EQ(launch.programs.size(), 2U);
  launch::stamp_launch_time(launch, 1.0);
  for (const std::size_t program : launch.programs) {
    EXPECT_EQ(launch.argv[program - 1], "SCALESTUDY_LAUNCH_TIME");
  }
  EXPECT_EQ(launch.argv[launch.programs[1]], "/usr/bin/python3");
}

TEST(ConsumerLaunch, PythonConsumersNeedThePackage) {
  try {
    const study::Study study = study::parse_study(
        "name: a\nworkload: aggregation\nparameters: {client_nodes: 1, ranks_per_node: 1, "
        "consumers: 1, consumer_language: python}\n",
        "a.yaml");
    launch::LaunchHost host;
    host.python_path = "/nonexistent";
    const auto& point = study.points.front();
    launch::build_launch(study, point, launch::point_files(study, point), host);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("needs the scalestudy Python package"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace scalestudy
