// Study expansion: products, zips, excludes, repetitions, strong scaling, and point ids.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/error.hpp"
#include "study/study.hpp"

namespace scalestudy::study {
namespace {

const char* kHeader =
    "name: s\n"
    "parameters: {client_nodes: 1, ranks_per_node: 1}\n";

std::vector<std::string> values_of(const Study& study, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& point : study.points) {
    out.push_back(core::format_value(point.params.entry(key).value));
  }
  return out;
}

TEST(Study, SweepIsACartesianProductFirstAxisOutermost) {
  const Study study = parse_study(std::string("name: s\n"
                                              "parameters: {ranks_per_node: 1}\n"
                                              "sweep:\n"
                                              "  client_nodes: [1, 2]\n"
                                              "  tensor_bytes: [1KiB, 1MiB, 4]\n"),
                                  "s.yaml");
  ASSERT_EQ(study.points.size(), 6U);
  EXPECT_EQ(values_of(study, "client_nodes"),
            (std::vector<std::string>{"1", "1", "1", "2", "2", "2"}));
  EXPECT_EQ(values_of(study, "tensor_bytes"),
            (std::vector<std::string>{"1024", "1048576", "4", "1024", "1048576", "4"}));
  EXPECT_EQ(study.swept_keys, (std::vector<std::string>{"client_nodes", "tensor_bytes"}));
  EXPECT_EQ(study.points[1].varied, (std::vector<std::pair<std::string, std::string>>{
                                        {"client_nodes", "1"}, {"tensor_bytes", "1MiB"}}));
  EXPECT_EQ(study.points[4].world_size, 3);  // 2 clients + 1 database rank
}

TEST(Study, ZipVariesListsTogether) {
  const Study study = parse_study(std::string(kHeader) +
                                      "zip:\n"
                                      "  - db_nodes: [1, 2, 3]\n"
                                      "    db_ranks_per_node: [1, 2, 4]\n"
                                      "sweep:\n"
                                      "  tensor_bytes: [4, 8]\n",
                                  "s.yaml");
  ASSERT_EQ(study.points.size(), 6U);
  EXPECT_EQ(values_of(study, "db_nodes"), (std::vector<std::string>{"1", "1", "2", "2", "3", "3"}));
  EXPECT_EQ(values_of(study, "db_ranks_per_node"),
            (std::vector<std::string>{"1", "1", "2", "2", "4", "4"}));
  EXPECT_EQ(study.points[5].world_size, 1 + 3 * 4);
}

TEST(Study, ExcludeDropsMatchingPoints) {
  const Study study = parse_study(std::string("name: s\n"
                                              "parameters: {ranks_per_node: 1}\n"
                                              "sweep:\n"
                                              "  client_nodes: [1, 2, 4]\n"
                                              "  tensor_bytes: [1KiB, 1MiB]\n"
                                              "exclude:\n"
                                              "  - {client_nodes: 4, tensor_bytes: 1048576}\n"
                                              "  - {client_nodes: [1, 2], tensor_bytes: 1KiB}\n"),
                                  "s.yaml");
  ASSERT_EQ(study.points.size(), 3U);
  EXPECT_EQ(values_of(study, "client_nodes"), (std::vector<std::string>{"1", "2", "4"}));
  EXPECT_EQ(values_of(study, "tensor_bytes"),
            (std::vector<std::string>{"1048576", "1048576", "1024"}));
}

TEST(Study, RepetitionsMakeDistinctPoints) {
  const Study study =
      parse_study(std::string(kHeader) + "repetitions: 3\nsweep: {tensor_bytes: [4, 8]}\n", "s");
  ASSERT_EQ(study.points.size(), 6U);
  EXPECT_EQ(values_of(study, "repetition"),
            (std::vector<std::string>{"0", "1", "2", "0", "1", "2"}));
  std::set<std::string> ids;
  for (const auto& point : study.points) ids.insert(point.id);
  EXPECT_EQ(ids.size(), 6U);
}

TEST(Study, StrongScalingDividesTheTotalOverClients) {
  const Study study = parse_study(std::string("name: s\n"
                                              "parameters: {ranks_per_node: 2, iterations: 120}\n"
                                              "sweep: {client_nodes: [1, 2, 3]}\n"
                                              "scaling: {mode: strong, divide: [iterations]}\n"),
                                  "s.yaml");
  EXPECT_EQ(values_of(study, "iterations"), (std::vector<std::string>{"60", "30", "20"}));
  EXPECT_EQ(study.scaling.mode, "strong");
  EXPECT_EQ(study.scaling.divide, (std::vector<std::string>{"iterations"}));
}

TEST(Study, EveryPointParameterIsSweepable) {
  // Database ranks, deployment and backend too (SmartSim-Scaling could not sweep db_cpus).
  const Study study = parse_study(std::string("name: s\n"
                                              "parameters: {client_nodes: 1, ranks_per_node: 1}\n"
                                              "sweep:\n"
                                              "  deployment: [standard, colocated]\n"
                                              "  db_ranks_per_node: [1, 2]\n"),
                                  "s.yaml");
  ASSERT_EQ(study.points.size(), 4U);
  EXPECT_EQ(study.points[3].world_size, 1 + 2);  // colocated node: 1 client + 2 database ranks
}

TEST(Study, ShorthandsAndVirtualNodes) {
  const Study study = parse_study(
      "name: s\nworkload: mpi_baseline\niterations: 7\n"
      "parameters: {client_nodes: 2, ranks_per_node: 1}\n",
      "s.yaml");
  ASSERT_EQ(study.points.size(), 1U);
  EXPECT_EQ(study.points[0].params.text("workload"), "mpi_baseline");
  EXPECT_EQ(study.points[0].params.integer("iterations"), 7);
  EXPECT_EQ(study.points[0].params.text("node_mode"), "virtual");
}

TEST(PointId, StableAcrossOrderAndParsesAndIndependentOfOutput) {
  const Study a = parse_study(
      "name: s\nparameters: {client_nodes: 1, ranks_per_node: 1, "
      "tensor_bytes: 1MiB, iterations: 5}\n",
      "a.yaml");
  const Study b = parse_study(
      "name: other\niterations: 5\nparameters: {tensor_bytes: 1048576, "
      "ranks_per_node: 1, client_nodes: 1}\n",
      "b.yaml");
  ASSERT_EQ(a.points[0].id, b.points[0].id);
  EXPECT_EQ(a.points[0].id.size(), 16U);
  EXPECT_EQ(a.points[0].id.find_first_not_of("0123456789abcdef"), std::string::npos);
  core::Parameters moved = a.points[0].params;
  moved.set("output", "/elsewhere/p.h5", "test");
  EXPECT_EQ(point_id(moved), a.points[0].id);
  core::Parameters changed = a.points[0].params;
  changed.set("iterations", "6", "test");
  EXPECT_NE(point_id(changed), a.points[0].id);
  changed.set("iterations", "5", "test");
  EXPECT_EQ(point_id(changed), a.points[0].id);
}

}  // namespace
}  // namespace scalestudy::study
