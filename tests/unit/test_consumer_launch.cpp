// Consumer ranks in launch lines: ranks of the one program (C++), or the second app context of
// an MPMD line (Python). Where the layout puts them is in test_layout.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "launch/launch_line.hpp"
#include "study/study.hpp"

namespace scalestudy {
namespace {

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
  host.allocation.kind = launch::Allocation::Kind::Hostfile;
  host.allocation.hosts = {"n0", "n1", "n2", "n3"};
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
  ASSERT_EQ(launch.files.size(), 1U);
  EXPECT_EQ(launch.files.front().path.substr(launch.files.front().path.rfind('/')), "/hostfile");
  EXPECT_EQ(launch.files.front().text, "n0 slots=2\nn1 slots=2\nn2 slots=1\nn3 slots=1\n");
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
