// The study's launcher section: kinds, their options, and what each refuses.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "study/study.hpp"

namespace scalestudy::study {
namespace {

Study with_launcher(const std::string& launcher) {
  return parse_study(
      "name: s\n"
      "parameters: {client_nodes: 1, ranks_per_node: 1}\n"
      "launcher:\n" +
          launcher,
      "s.yaml");
}

/// The message of the ConfigError that parsing `launcher` throws ("" when none).
std::string refusal(const std::string& launcher) {
  try {
    with_launcher(launcher);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(LauncherSection, MpirunIsTheDefaultWithVirtualNodes) {
  const Study study = with_launcher("  env: {A: 1}\n");
  EXPECT_EQ(study.launcher.kind, "mpirun");
  EXPECT_FALSE(study.launcher.real_nodes());
  EXPECT_EQ(study.points[0].params.text("node_mode"), "virtual");
}

TEST(LauncherSection, SrunRunsOnTheNodesOfItsAllocation) {
  const Study study = with_launcher("  kind: srun\n  mpi: pmix\n  nodes: 16\n");
  EXPECT_EQ(study.launcher.kind, "srun");
  EXPECT_EQ(study.launcher.mpi, "pmix");
  EXPECT_EQ(study.launcher.nodes, 16);
  EXPECT_TRUE(study.launcher.in_allocation());
  EXPECT_EQ(study.points[0].params.text("node_mode"), "real");
}

TEST(LauncherSection, MpirunNamingSrunPointsAtKind) {
  const std::string message = refusal("  mpirun: /usr/bin/srun\n");
  EXPECT_NE(message.find("s.yaml:4:11"), std::string::npos) << message;
  EXPECT_NE(message.find("launcher.kind: srun"), std::string::npos) << message;
}

TEST(LauncherSection, EachKindRefusesTheOthersOptions) {
  EXPECT_NE(refusal("  kind: srun\n  bind_to: core\n").find("--cpu-bind"), std::string::npos);
  EXPECT_NE(refusal("  kind: srun\n  map_by: node\n").find("mpirun option"), std::string::npos);
  EXPECT_NE(refusal("  kind: srun\n  mpirun: mpiexec\n").find("remove it"), std::string::npos);
  EXPECT_NE(refusal("  kind: srun\n  hostfile: hosts.txt\n").find("not a hostfile"),
            std::string::npos);
  EXPECT_NE(refusal("  mpi: pmix\n").find("srun's --mpi"), std::string::npos);
}

TEST(LauncherSection, ChoicesAndCountsAreChecked) {
  const std::string kind = refusal("  kind: slurm\n");
  EXPECT_NE(kind.find("s.yaml:4:9: launcher.kind must be one of mpirun, srun"), std::string::npos)
      << kind;
  EXPECT_NE(refusal("  scheduler: slrum\n").find("did you mean 'slurm'"), std::string::npos);
  EXPECT_NE(refusal("  nodes: 0\n").find("launcher.nodes"), std::string::npos);
  EXPECT_NE(refusal("  nodez: 4\n").find("did you mean 'nodes'"), std::string::npos);
  EXPECT_NE(refusal("  template: no/such/file.sh\n").find("jobs/ holds templates"),
            std::string::npos);
}

}  // namespace
}  // namespace scalestudy::study
