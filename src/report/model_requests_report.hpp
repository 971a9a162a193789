// The database side of inference points: per point and model or script, the requests its
// database ranks served, the queue and compute times each request saw and the batch sizes
// they ran in (from /tables/model_requests), so dynamic batching shows what it trades.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report/statistics.hpp"
#include "results/point_reader.hpp"

namespace scalestudy::report {

struct ModelRequestsRow {
  std::string point_id;
  std::string varied;
  std::string kind;  ///< "model" or "script"
  std::string key;
  std::size_t requests = 0;  ///< served without error, over every database rank
  std::size_t failed = 0;
  /// Rows of the batch each request ran in, averaged over requests (1: no batching).
  double mean_batch_rows = 0;
  Summary queue_s;    ///< arrival to the start of the request's batch
  Summary compute_s;  ///< duration of the request's batch
};

/// One row per (point, kind, key) of every point with a model_requests table; none without.
std::vector<ModelRequestsRow> model_requests_rows(const std::vector<results::PointData>& points,
                                                  const std::vector<std::string>& ids,
                                                  const std::vector<std::string>& varied);

/// The rows as an aligned (or markdown) table with its heading; "" without rows.
std::string model_requests_table(const std::vector<ModelRequestsRow>& rows, bool markdown,
                                 bool wide);

/// The rows as the JSON member `,\n  "model_requests": [...]`.
std::string model_requests_json(const std::vector<ModelRequestsRow>& rows);

}  // namespace scalestudy::report
