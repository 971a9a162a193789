// The report's placement sections: threads, oversubscription and memory of every point, the spread
// of throughput across nodes, and processes against threads at constant cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/point_reader.hpp"

namespace scalestudy::report {

struct ReportOptions;

/// How a point ran: its ranks and threads, whether they oversubscribed a host, its memory and
/// its times.
struct PlacementRow {
  std::string point_id;
  std::string varied;
  std::int64_t clients = 0;         ///< client ranks
  std::int64_t client_threads = 0;  ///< threads per client rank
  std::int64_t db_threads = 0;      ///< threads per database rank
  std::int64_t world_size = 0;
  std::int64_t nodes = 0;
  bool oversubscribed = false;                ///< the file's flag (false in files that predate it)
  std::int64_t threads_per_host = 0;          ///< of the most loaded host, 0 when not recorded
  std::int64_t cpus_per_host = 0;             ///< 0 when not recorded
  std::int64_t client_peak_rss_bytes = -1;    ///< largest over client ranks, -1 unknown
  std::int64_t database_peak_rss_bytes = -1;  ///< largest over database ranks, -1 unknown
  std::string placement;  ///< what the launcher decided (the file's `placement`)
  double startup_s = 0;   ///< slowest client's startup operation, NaN without one
  double loop_s = 0;      ///< point_time: the slowest client's loop time, NaN without one
  double total_s = 0;     ///< the job's wall time from the study index, NaN for a lone file
};

/// Throughput of one operation per node of a point: each node's operations/s (the sum over its
/// clients of samples / time spent in them, as the report's ops/s), and their spread.
struct NodeSpreadRow {
  std::string point_id;
  std::string varied;
  std::string operation;
  std::size_t nodes = 0;  ///< nodes with clients that recorded the operation
  double min_ops_per_s = 0;
  double max_ops_per_s = 0;
  double mean_ops_per_s = 0;
  double cv = 0;  ///< coefficient of variation: population std / mean over the nodes
};

/// One cell of a processes-against-threads comparison: ranks x threads of each client, against
/// the group's reference (the fewest cores; among those, the fewest ranks).
struct ThreadsRow {
  std::string group;  ///< the swept values other than ranks and threads
  std::string point_id;
  std::string varied;
  std::string reference_id;  ///< the point the speed-ups are against
  std::int64_t ranks = 0;    ///< client ranks
  std::int64_t threads = 0;  ///< threads per client rank
  std::int64_t cores = 0;    ///< ranks x threads
  bool oversubscribed = false;
  double startup_s = 0;      ///< median over repetitions
  double loop_s = 0;         ///< median over repetitions
  double total_s = 0;        ///< median over repetitions
  double speedup_loop = 0;   ///< reference loop_s / loop_s
  double speedup_total = 0;  ///< reference total_s / total_s
};

/// The placement row of every point; `durations` are the index's duration_s (NaN if unknown).
std::vector<PlacementRow> placement_rows(const std::vector<results::PointData>& points,
                                         const std::vector<std::string>& ids,
                                         const std::vector<std::string>& varied,
                                         const std::vector<double>& durations,
                                         const ReportOptions& options);

/// Per point and repeated operation (more than one sample per client), the spread of
/// operations/s across the nodes that hold its clients.
std::vector<NodeSpreadRow> node_spread_rows(const std::vector<results::PointData>& points,
                                            const std::vector<std::string>& ids,
                                            const std::vector<std::string>& varied,
                                            const ReportOptions& options);

/// Processes against threads: points grouped by their swept values other than client_nodes,
/// ranks_per_node, client_threads and repetition; empty unless client_threads is swept.
std::vector<ThreadsRow> threads_rows(const std::vector<PlacementRow>& rows,
                                     const std::vector<results::PointData>& points,
                                     const std::vector<std::string>& swept);

/// The JSON members "placement", "node_spread" and "threads", each preceded by ",\n  ".
std::string placement_json(const std::vector<PlacementRow>& placement,
                           const std::vector<NodeSpreadRow>& spread,
                           const std::vector<ThreadsRow>& threads);

/// The placement table, the node spread of points with two or more nodes, and the
/// processes-against-threads table (when there is one), as text or markdown sections.
std::string placement_tables(const std::vector<PlacementRow>& placement,
                             const std::vector<NodeSpreadRow>& spread,
                             const std::vector<ThreadsRow>& threads, bool markdown, bool wide);

}  // namespace scalestudy::report
