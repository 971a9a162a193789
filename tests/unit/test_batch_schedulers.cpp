// Job script templates, the schedulers' directives and job names, what their commands print,
// and the state status gives a point.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "launch/job_script.hpp"
#include "launch/scheduler.hpp"
#include "launch/study_status.hpp"

namespace scalestudy::launch {
namespace {

std::string refusal(const std::string& text) {
  try {
    render_template(text, "t.sh", {{"run", "R"}, {"nodes", "2"}, {"directives", ""}});
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(JobTemplate, PlaceholdersAreReplacedAndEmptyLinesDropped) {
  const std::string out =
      render_template("#A --nodes={{nodes}}\n{{directives}}\n#B\n{{run}}\n", "t.sh",
                      {{"run", "R"}, {"nodes", "2"}, {"directives", ""}});
  EXPECT_EQ(out, "#A --nodes=2\n#B\nR\n");
}

TEST(JobTemplate, UnknownPlaceholdersAndAMissingRunAreRefused) {
  EXPECT_NE(refusal("a\nb {{nodez}}\n{{run}}").find("t.sh:2: unknown placeholder {{nodez}}"),
            std::string::npos);
  EXPECT_NE(refusal("{{nodes}}\n").find("has no {{run}}"), std::string::npos);
  EXPECT_NE(refusal("{{run").find("without its '}}'"), std::string::npos);
}

TEST(JobTemplate, EveryBuiltInTemplateRendersWithEveryPlaceholder) {
  std::map<std::string, std::string> values;
  for (const auto& [name, meaning] : template_placeholders()) values[std::string(name)] = "x";
  for (const auto& scheduler : scheduler_names()) {
    const auto s = make_scheduler(std::string(scheduler));
    ASSERT_FALSE(s->builtin_template().empty()) << scheduler;
    EXPECT_NO_THROW(render_template(s->builtin_template(), std::string(scheduler), values));
  }
}

TEST(Schedulers, DirectivesFollowEachSchedulersSyntax) {
  const SiteOptions site{"proj", "debug", "high"};
  EXPECT_EQ(make_scheduler("slurm")->directives(site, true),
            (std::vector<std::string>{"#SBATCH --account=proj", "#SBATCH --partition=debug",
                                      "#SBATCH --qos=high", "#SBATCH --overcommit"}));
  EXPECT_EQ(make_scheduler("torque")->directives(site, false),
            (std::vector<std::string>{"#PBS -A proj", "#PBS -q debug", "#PBS -l qos=high"}));
  EXPECT_THROW(make_scheduler("pbs")->directives(site, false), ConfigError);
  EXPECT_EQ(make_scheduler("pbs")->directives({"proj", "workq", ""}, false),
            (std::vector<std::string>{"#PBS -A proj", "#PBS -q workq"}));
}

TEST(Schedulers, PbsJobNamesAreShortAndStartWithALetter) {
  const auto pbs = make_scheduler("pbs");
  EXPECT_EQ(pbs->job_name("throughput_standard", 12), "throughput_s-12");
  EXPECT_EQ(pbs->job_name("2d.study", 1), "s2d_study-1");
  EXPECT_EQ(make_scheduler("slurm")->job_name("throughput_standard", 12), "throughput_standard-12");
  EXPECT_THROW(make_scheduler("lsf"), ConfigError);
  try {
    make_scheduler("slrum");
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'slurm'"), std::string::npos);
  }
}

TEST(Schedulers, SqueueAndQstatOutputBecomeJobStates) {
  const auto slurm = parse_squeue("12|PENDING|Resources\n13|RUNNING|None\n14|CANCELLED|None\n");
  ASSERT_EQ(slurm.size(), 3U);
  EXPECT_TRUE(slurm.at("12").active);
  EXPECT_FALSE(slurm.at("12").running);
  EXPECT_EQ(slurm.at("12").reason, "Resources");
  EXPECT_TRUE(slurm.at("13").running);
  EXPECT_EQ(slurm.at("13").reason, "");
  EXPECT_FALSE(slurm.at("14").active);

  const auto pbs = parse_qstat(
      "Job Id: 7.server\n    Job_Name = a\n    job_state = Q\n    comment = waiting\n\n"
      "Job Id: 8.server\n    job_state = R\n\nJob Id: 9.server\n    job_state = F\n");
  ASSERT_EQ(pbs.size(), 3U);
  EXPECT_TRUE(pbs.at("7.server").active);
  EXPECT_EQ(pbs.at("7.server").reason, "waiting");
  EXPECT_TRUE(pbs.at("8.server").running);
  EXPECT_FALSE(pbs.at("9.server").active);
}

results::PointStatus point(const std::string& status, const std::string& job = "") {
  results::PointStatus p;
  p.id = "abc";
  p.status = status;
  p.job_id = job;
  p.scheduler = job.empty() ? "" : "slurm";
  p.reason = status == "running" ? "started then" : "";
  p.duration_s = 2.5;
  return p;
}

TEST(StudyStatus, PointsTakeTheStateOfTheirJob) {
  const JobState pending{"PENDING", true, false, "Priority"};
  const JobState running{"RUNNING", true, true, ""};
  const JobState cancelled{"CANCELLED", false, false, ""};
  EXPECT_EQ(view_point(point("completed", "5"), nullptr, "").state, "completed");
  EXPECT_EQ(view_point(point("completed", "5"), nullptr, "").detail, "2.5 s");
  EXPECT_EQ(view_point(point("pending"), nullptr, "").state, "pending");

  const PointView queued = view_point(point("pending", "5"), &pending, "");
  EXPECT_EQ(queued.state, "queued");
  EXPECT_EQ(queued.detail, "job 5 is PENDING (Priority)");
  const PointView waits = view_point(point("pending", "5"), &running, "");
  EXPECT_EQ(waits.state, "queued");
  EXPECT_EQ(waits.detail, "job 5 is running; the point waits its turn");
  EXPECT_EQ(view_point(point("running", "5"), &running, "").state, "running");
  // A failed point submitted again is queued again.
  EXPECT_EQ(view_point(point("failed", "6"), &pending, "").state, "queued");

  const PointView died = view_point(point("running", "5"), &cancelled, "");
  EXPECT_EQ(died.state, "pending");
  EXPECT_EQ(died.detail, "job 5 ended (CANCELLED) while the point ran; submit again to run it");
  EXPECT_EQ(view_point(point("interrupted", "5"), &cancelled, "").state, "pending");
  const PointView forgotten = view_point(point("pending", "5"), nullptr, "squeue not on PATH");
  EXPECT_EQ(forgotten.state, "pending");
  EXPECT_NE(forgotten.detail.find("not known to the scheduler (squeue not on PATH)"),
            std::string::npos);
  EXPECT_EQ(view_point(point("timeout", "5"), &cancelled, "").state, "failed");
}

}  // namespace
}  // namespace scalestudy::launch
