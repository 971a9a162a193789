// Writing and submitting a study's job scripts.
#include "launch/batch_jobs.hpp"

#include <cstdio>
#include <ostream>
#include <set>

#include "core/error.hpp"
#include "launch/index_store.hpp"

namespace scalestudy::launch {
namespace {

/// Ids of the points a queued or running job of `scheduler` will run.
std::set<std::string> in_flight(const StatusMap& statuses, const Scheduler& scheduler) {
  std::vector<std::string> ids;
  for (const auto& [id, status] : statuses) {
    if (!status.job_id.empty() && status.scheduler == scheduler.name() &&
        status.status != "completed") {
      ids.push_back(status.job_id);
    }
  }
  const auto states = scheduler.states(ids);
  std::set<std::string> points;
  for (const auto& [id, status] : statuses) {
    const auto state = states.find(status.job_id);
    if (status.status != "completed" && state != states.end() && state->second.active) {
      points.insert(id);
    }
  }
  return points;
}

JobsPlan plan_for(const study::Study& study, const Scheduler& scheduler, const JobsRequest& request,
                  const PointFilter& filter, bool all, const std::set<std::string>& leave_out) {
  filter.check_ids(study);
  JobsPlan plan;
  const StatusMap statuses = read_statuses(study, true);
  std::vector<const study::StudyPoint*> points;
  for (const auto& point : study.points) {
    if (!filter.selects(point)) continue;
    if (!all && statuses.at(point.id).status == "completed") {
      ++plan.completed;
    } else if (leave_out.count(point.id)) {
      ++plan.in_flight;
    } else {
      points.push_back(&point);
    }
  }
  plan.packing = pack_points(study, points, request.packing);
  if (plan.packing.jobs.empty() && !plan.packing.left_out.empty()) {
    throw ConfigError(study.path + ": every point to run " + plan.packing.left_out.front().second +
                      " (or more): no job would run; use a larger partition or exclude the larger "
                      "points");
  }
  plan.scripts = render_job_scripts(study, plan.packing, scheduler, request);
  return plan;
}

void print_scripts(const study::Study& study, const Scheduler& scheduler, const JobsPlan& plan,
                   std::ostream& out) {
  out << "study " << study.name << ": " << plan.scripts.size() << " " << scheduler.title()
      << (plan.scripts.size() == 1 ? " job script" : " job scripts");
  if (plan.completed > 0) out << "; " << plan.completed << " points already done, left out";
  if (plan.in_flight > 0) {
    out << "; " << plan.in_flight << " points already in a queued or running job, left out";
  }
  out << "\n";
  for (const auto& [point, why] : plan.packing.left_out) {
    out << "  left out " << point->id << ": " << why << "\n";
  }
  for (const auto& script : plan.scripts) {
    const auto& job = script.allocation;
    char line[64];
    std::snprintf(line, sizeof(line), "  %3d nodes  %s  %3zu point%s  ", job.nodes,
                  wall_time_text(job.wall_time_s).c_str(), job.points.size(),
                  job.points.size() == 1 ? " " : "s");
    out << line << script.path << "\n";
  }
  char hours[32];
  std::snprintf(hours, sizeof(hours), "%.1f", plan.packing.node_hours());
  out << "node-hours asked for: " << hours << "\n";
}

}  // namespace

JobsPlan plan_jobs(const study::Study& study, const Scheduler& scheduler,
                   const JobsRequest& request, const PointFilter& filter, bool all) {
  return plan_for(study, scheduler, request, filter, all, {});
}

JobsPlan write_jobs(const study::Study& study, const Scheduler& scheduler,
                    const JobsRequest& request, const PointFilter& filter, bool all,
                    std::ostream& out) {
  JobsPlan plan = plan_jobs(study, scheduler, request, filter, all);
  write_job_scripts(plan.scripts, request.output_dir);
  print_scripts(study, scheduler, plan, out);
  if (!plan.scripts.empty()) {
    out << "submit them with " << scheduler.submit_program() << " (or scalestudy submit, which "
        << "records their job ids for scalestudy status)\n";
  }
  return plan;
}

JobsPlan submit_jobs(const study::Study& study, const Scheduler& scheduler,
                     const JobsRequest& request, const PointFilter& filter, std::ostream& out) {
  const std::set<std::string> busy = in_flight(read_statuses(study, false), scheduler);
  JobsPlan plan = plan_for(study, scheduler, request, filter, false, busy);
  write_job_scripts(plan.scripts, request.output_dir);
  print_scripts(study, scheduler, plan, out);
  for (const auto& script : plan.scripts) {
    const std::string id = scheduler.submit(script.path);
    update_index(study, [&](StatusMap& statuses) {
      for (const auto* point : script.allocation.points) {
        auto& status = statuses[point->id];
        status.job_id = id;
        status.scheduler = std::string(scheduler.name());
        status.job_script = script.path;
      }
    });
    out << "submitted job " << id << ": " << script.path << "\n";
  }
  if (!plan.scripts.empty())
    out << "follow them with: scalestudy status " << study.study_dir() << "\n";
  return plan;
}

}  // namespace scalestudy::launch
