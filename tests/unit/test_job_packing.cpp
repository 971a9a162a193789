// Packing points into allocations, and wall times as schedulers write them.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "launch/job_packing.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {
namespace {

/// Points of 2..6 nodes (client_nodes + db_nodes), timeout_s 600.
study::Study cluster_study(const std::string& extra = "") {
  return study::parse_study(
      "name: p\n"
      "parameters: {ranks_per_node: 4, db_ranks_per_node: 2, client_threads: 2}\n"
      "sweep: {db_nodes: [1, 2], client_nodes: [1, 2, 4]}\n"
      "timeout_s: 600\n"
      "launcher: {hostfile: allocation}\n" +
          extra,
      "p.yaml");
}

std::vector<const study::StudyPoint*> all_points(const study::Study& study) {
  std::vector<const study::StudyPoint*> points;
  for (const auto& point : study.points) points.push_back(&point);
  return points;
}

std::vector<int> sizes(const Packing& packing) {
  std::vector<int> out;
  for (const auto& job : packing.jobs) out.push_back(job.nodes);
  return out;
}

TEST(JobPacking, PointsOfTheSameSizeShareAnAllocation) {
  const auto study = cluster_study();
  const Packing packing = pack_points(study, all_points(study), {});
  EXPECT_EQ(sizes(packing), (std::vector<int>{2, 3, 4, 5, 6}));
  const auto& three = packing.jobs[1];
  ASSERT_EQ(three.points.size(), 2U);  // (db 1, client 2) and (db 2, client 1)
  EXPECT_LT(three.points[0], three.points[1]) << "study order";
  EXPECT_EQ(three.wall_time_s, 2 * 600 + kJobMarginSeconds);
  EXPECT_EQ(three.tasks_per_node, 4);
  EXPECT_EQ(three.cpus_per_task, 2);
  EXPECT_DOUBLE_EQ(packing.node_hours(),
                   (2 * 900 + 3 * 1500 + 4 * 900 + 5 * 900 + 6 * 900) / 3600.0);
}

TEST(JobPacking, MaxTimeSplitsAnAllocation) {
  const auto study = cluster_study();
  PackingOptions options;
  options.max_time_s = 900;  // one point of 600 s and the margin
  EXPECT_EQ(sizes(pack_points(study, all_points(study), options)),
            (std::vector<int>{2, 3, 3, 4, 5, 6}));
  options.max_time_s = 899;
  EXPECT_THROW(pack_points(study, all_points(study), options), ConfigError);
}

TEST(JobPacking, SmallerPointsRideInALargerAllocationWithinMaxIdle) {
  const auto study = cluster_study();
  PackingOptions options;
  options.max_idle = 0.25;  // 5 of 6 (17 %) and 3 of 4 (25 %) ride; 4 of 6 (33 %) does not
  const Packing packing = pack_points(study, all_points(study), options);
  EXPECT_EQ(sizes(packing), (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(packing.jobs[1].points.size(), 3U);  // the 4-node point and both 3-node points
  EXPECT_EQ(packing.jobs[2].points.size(), 2U);
  options.max_idle = 1;  // everything in the largest
  EXPECT_EQ(sizes(pack_points(study, all_points(study), options)), (std::vector<int>{6}));
}

TEST(JobPacking, PointsLargerThanMaxNodesAreLeftOutWithWhy) {
  const auto study = cluster_study();
  PackingOptions options;
  options.max_nodes = 4;
  options.max_nodes_source = "partition debug";
  const Packing packing = pack_points(study, all_points(study), options);
  EXPECT_EQ(sizes(packing), (std::vector<int>{2, 3, 4}));
  ASSERT_EQ(packing.left_out.size(), 2U);
  EXPECT_EQ(packing.left_out[0].second, "needs 5 nodes, more than the 4 of partition debug");
}

TEST(JobPacking, VirtualNodesNeedOneNodeForTheWholePoint) {
  const auto study = study::parse_study(
      "name: v\nparameters: {ranks_per_node: 2}\nsweep: {client_nodes: [1, 4]}\n", "v.yaml");
  const Packing packing = pack_points(study, all_points(study), {});
  ASSERT_EQ(sizes(packing), (std::vector<int>{1}));
  EXPECT_EQ(packing.jobs[0].tasks_per_node, 9);  // 8 clients and the database rank
}

TEST(WallTime, TextRoundsUpToMinutesAndHoursPass24) {
  EXPECT_EQ(wall_time_text(300), "00:05:00");
  EXPECT_EQ(wall_time_text(301), "00:06:00");
  EXPECT_EQ(wall_time_text(30 * 3600 + 60), "30:01:00");
}

TEST(WallTime, ParsesSlurmsForms) {
  EXPECT_EQ(parse_wall_time("24:00:00", "t"), 86400);
  EXPECT_EQ(parse_wall_time("90", "t"), 5400);    // minutes
  EXPECT_EQ(parse_wall_time("10:30", "t"), 630);  // minutes:seconds
  EXPECT_EQ(parse_wall_time("1-12", "t"), 86400 + 12 * 3600);
  EXPECT_EQ(parse_wall_time("1-00:30", "t"), 86400 + 1800);
  EXPECT_EQ(parse_wall_time("2-01:00:05", "t"), 2 * 86400 + 3605);
  EXPECT_THROW(parse_wall_time("1h", "t"), ConfigError);
  EXPECT_THROW(parse_wall_time("00:00:00", "t"), ConfigError);
}

}  // namespace
}  // namespace scalestudy::launch
