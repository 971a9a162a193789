#include "report/model_requests_report.hpp"

#include <map>
#include <sstream>
#include <tuple>

#include "report/format_util.hpp"

namespace scalestudy::report {

using namespace detail;

namespace {

struct Samples {
  std::size_t failed = 0;
  double batch_rows = 0;
  std::vector<double> queue;
  std::vector<double> compute;
};

}  // namespace

std::vector<ModelRequestsRow> model_requests_rows(const std::vector<results::PointData>& points,
                                                  const std::vector<std::string>& ids,
                                                  const std::vector<std::string>& varied) {
  std::vector<ModelRequestsRow> rows;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const results::TableData* table = points[p].table("model_requests");
    if (table == nullptr) continue;
    const auto* key = table->text_column("key");
    const auto* kind = table->text_column("kind");
    const auto* failed = table->number_column("failed");
    const auto* queue = table->number_column("queue_s");
    const auto* compute = table->number_column("compute_s");
    const auto* batch = table->number_column("batch_size");
    if (!key || !kind || !failed || !queue || !compute || !batch) continue;
    std::map<std::tuple<std::string, std::string>, Samples> by_key;  // (kind, key), sorted
    for (std::size_t r = 0; r < key->size(); ++r) {
      Samples& s = by_key[{(*kind)[r], (*key)[r]}];
      if ((*failed)[r] != 0) {
        ++s.failed;
        continue;
      }
      s.queue.push_back((*queue)[r]);
      s.compute.push_back((*compute)[r]);
      s.batch_rows += (*batch)[r];
    }
    for (auto& [which, s] : by_key) {
      ModelRequestsRow row;
      row.point_id = ids[p];
      row.varied = varied[p];
      row.kind = std::get<0>(which);
      row.key = std::get<1>(which);
      row.requests = s.queue.size();
      row.failed = s.failed;
      row.mean_batch_rows = row.requests > 0 ? s.batch_rows / static_cast<double>(row.requests) : 0;
      row.queue_s = summarize(std::move(s.queue));
      row.compute_s = summarize(std::move(s.compute));
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string model_requests_table(const std::vector<ModelRequestsRow>& rows, bool markdown,
                                 bool wide) {
  if (rows.empty()) return "";
  std::vector<std::vector<std::string>> cells;
  std::string previous;
  const auto us = [](double seconds) { return number(seconds * 1e6, "%.1f"); };
  for (const auto& r : rows) {
    cells.push_back({first_row_label(r.point_id, r.varied, previous), r.kind + " " + r.key,
                     std::to_string(r.requests), std::to_string(r.failed),
                     number(r.mean_batch_rows, "%.2f"), us(r.queue_s.p50), us(r.queue_s.p90),
                     us(r.compute_s.p50), us(r.compute_s.p90)});
  }
  std::ostringstream out;
  out << "\n"
      << (markdown ? "### " : "")
      << wrapped(
             "database: model and script requests (queue: arrival to the start of the "
             "request's batch; compute: that batch's duration; batch rows: of the batch a "
             "request ran in, mean over requests)")
      << "\n"
      << render_labelled_table(
             {"point", "request", "served", "failed", "batch rows", "queue p50 [us]",
              "queue p90 [us]", "compute p50 [us]", "compute p90 [us]"},
             cells, markdown, wide, 2);
  return out.str();
}

std::string model_requests_json(const std::vector<ModelRequestsRow>& rows) {
  std::ostringstream out;
  out << ",\n  \"model_requests\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out << (i ? "," : "") << "\n    {\"point_id\": " << json_string(r.point_id)
        << ", \"varied\": " << json_string(r.varied) << ", \"kind\": " << json_string(r.kind)
        << ", \"key\": " << json_string(r.key) << ", \"served\": " << r.requests
        << ", \"failed\": " << r.failed
        << ", \"mean_batch_rows\": " << json_number(r.mean_batch_rows)
        << ", \"queue_p50_s\": " << json_number(r.queue_s.p50)
        << ", \"queue_p90_s\": " << json_number(r.queue_s.p90)
        << ", \"compute_p50_s\": " << json_number(r.compute_s.p50)
        << ", \"compute_p90_s\": " << json_number(r.compute_s.p90) << "}";
  }
  out << "\n  ]";
  return out.str();
}

}  // namespace scalestudy::report
