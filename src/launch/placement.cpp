// The placement policy: bind when every thread has a CPU, never when oversubscribed.
#include "launch/placement.hpp"

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "core/error.hpp"
#include "core/layout.hpp"
#include "core/layout_parameters.hpp"

namespace scalestudy::launch {
namespace {

std::string count_text(int n, const char* word) {
  std::string text = std::to_string(n);
  text += ' ';
  text += word;
  if (n != 1) text += 's';
  return text;
}

/// "rank r=<host> slot=<first>-<last>" for every rank, CPUs handed out in rank order.
std::string rankfile(const study::StudyPoint& point, const std::string& host_name) {
  const auto& p = point.params;
  core::LayoutRequest request = core::layout_request(p);
  request.world_size = point.world_size;
  request.virtual_nodes = true;
  const core::Layout layout = core::plan_layout(request);
  const core::RankThreads threads = core::rank_threads(p);
  std::ostringstream out;
  std::int64_t next = 0;
  for (int r = 0; r < layout.world_size(); ++r) {
    // Every role but the database's runs client_threads (consumers: their fetch threads).
    const bool database = layout.ranks[static_cast<std::size_t>(r)].role == core::Role::Database;
    const std::int64_t cpus = database ? threads.database : threads.client;
    out << "rank " << r << '=' << host_name << " slot=" << next;
    if (cpus > 1) out << '-' << next + cpus - 1;
    out << '\n';
    next += cpus;
  }
  return out.str();
}

}  // namespace

int threads_per_node(const study::StudyPoint& point, bool virtual_nodes) {
  const core::LayoutRequest r = core::layout_request(point.params);
  const core::RankThreads threads = core::rank_threads(point.params);
  const std::int64_t client_threads = threads.client;
  const std::int64_t db_threads = threads.database;
  const bool colocated = r.deployment == core::Deployment::Colocated;
  const std::int64_t clients = std::int64_t{r.client_nodes} * r.ranks_per_node;
  const std::int64_t db_ranks =
      std::int64_t{colocated ? r.client_nodes : r.db_nodes} * r.db_ranks_per_node;
  // Ranks of other roles (aggregation consumers) run client_threads, on a node of their own.
  const auto others = std::max<std::int64_t>(0, point.world_size - clients - db_ranks);
  if (virtual_nodes) {
    return static_cast<int>((clients + others) * client_threads + db_ranks * db_threads);
  }
  const auto client_node =
      r.ranks_per_node * client_threads + (colocated ? r.db_ranks_per_node * db_threads : 0);
  const auto db_node = colocated ? 0 : r.db_ranks_per_node * db_threads;
  return static_cast<int>(std::max({client_node, db_node, others * client_threads}));
}

Placement plan_placement(const study::Study& study, const study::StudyPoint& point,
                         int cpus_per_node, const std::string& host_name,
                         const std::string& rankfile_path) {
  const auto& p = point.params;
  const auto& launcher = study.launcher;
  const bool virtual_nodes = !launcher.real_nodes();
  const core::RankThreads threads = core::rank_threads(p);
  const std::int64_t client_threads = threads.client;
  const std::int64_t db_threads = threads.database;

  Placement placement;
  placement.threads_per_node = threads_per_node(point, virtual_nodes);
  placement.cpus_per_node = cpus_per_node;
  placement.oversubscribed = placement.threads_per_node > cpus_per_node;
  placement.user_binding = !launcher.map_by.empty() || !launcher.bind_to.empty();
  placement.cpus_per_rank = static_cast<int>(std::max(client_threads, db_threads));
  std::string load = count_text(placement.threads_per_node, "thread");
  load += virtual_nodes ? " on this machine's " : " per node on ";
  load += count_text(cpus_per_node, "CPU");

  std::string places;
  std::string proc_bind;
  std::string wait_policy = placement.oversubscribed ? "passive" : "active";
  if (placement.user_binding) {
    placement.summary = "binding from launcher.map_by/bind_to; " + load;
    if (placement.oversubscribed) placement.summary += " (oversubscribed)";
  } else if (placement.oversubscribed) {
    // Distinct CPUs cannot be given, and binding would stack ranks on the same ones (Open MPI
    // binds to cores by default for two ranks): let the kernel spread them, and keep waiting
    // OpenMP threads from spinning on CPUs that other ranks need.
    placement.mpirun_args = {"--bind-to", "none"};
    proc_bind = "false";
    placement.summary = "unbound (oversubscribed: " + load + "), passive waits";
  } else if (virtual_nodes) {
    // Counted in hardware threads, as this machine's CPUs are.
    if (client_threads == db_threads) {
      placement.mpirun_args = {"--use-hwthread-cpus", "--map-by",
                               "slot:PE=" + std::to_string(client_threads), "--bind-to",
                               "hwthread"};
    } else {
      try {
        placement.rankfile_text = rankfile(point, host_name);
        placement.mpirun_args = {"--use-hwthread-cpus", "--rankfile", rankfile_path};
      } catch (const ConfigError&) {
        // A layout the rankfile cannot place (another role's ranks): let the kernel spread them,
        // and the threads of each rank with them (threads bound within an unbound rank would
        // all start on the same first CPUs).
        placement.mpirun_args = {"--bind-to", "none"};
      }
    }
    const bool bound = placement.mpirun_args.front() == "--use-hwthread-cpus";
    places = bound ? "threads" : "";
    proc_bind = bound ? "close" : "false";
    placement.summary = std::string(bound ? "bound: each rank to its own CPUs ("
                                          : "unbound (no rankfile for this layout; ") +
                        count_text(static_cast<int>(client_threads), "CPU") + " per client, " +
                        count_text(static_cast<int>(db_threads), "CPU") + " per database rank); " +
                        load;
  } else {
    placement.map_by = "slot:PE=" + std::to_string(std::max(client_threads, db_threads));
    placement.mpirun_args = {"--bind-to", "core"};
    places = "cores";
    proc_bind = "close";
    placement.summary = "bound: each rank to " +
                        count_text(static_cast<int>(std::max(client_threads, db_threads)), "core") +
                        "; " + load;
  }

  const auto set_by_study = [&](const std::string& name) {
    return std::any_of(launcher.env.begin(), launcher.env.end(),
                       [&](const auto& entry) { return entry.first == name; });
  };
  const auto set = [&](const std::string& name, const std::string& value) {
    if (!value.empty() && !set_by_study(name)) placement.env.emplace_back(name, value);
  };
  set("OMP_NUM_THREADS", std::to_string(client_threads));
  set("OMP_PLACES", places);
  set("OMP_PROC_BIND", proc_bind);
  set("OMP_WAIT_POLICY", wait_policy);
  set("SCALESTUDY_PLACEMENT", placement.summary);
  return placement;
}

}  // namespace scalestudy::launch
