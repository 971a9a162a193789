// Reads a point's results file back (serially) for reports and for resuming studies.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "results/point_writer.hpp"

namespace scalestudy::results {

/// One /timings/<op> with its row ranks, warm-up mask and failure flags.
struct OperationSamples {
  std::string name;
  std::uint64_t bytes = 0;  ///< payload per call (0: not a transfer)
  std::size_t rows = 0;
  std::size_t samples = 0;
  std::vector<std::int32_t> ranks;   ///< rank of each row
  std::vector<double> seconds;       ///< rows x samples, row-major
  std::vector<std::uint8_t> warmup;  ///< samples
  std::vector<std::uint8_t> failed;  ///< rows x samples

  double at(std::size_t row, std::size_t sample) const { return seconds[row * samples + sample]; }
  bool failed_at(std::size_t row, std::size_t sample) const {
    return failed[row * samples + sample] != 0;
  }
};

/// One element of /ranks. Columns an older file lacks keep their defaults.
struct RankData {
  std::string role;  ///< "client" or "database"
  int node = -1;
  std::string hostname;
  std::string cpus;       ///< affinity mask
  std::string cpus_used;  ///< CPUs its threads were seen on
  std::int64_t peak_rss_bytes = -1;
  int omp_threads = -1;
};

/// One /tables/<name>: numeric columns as float64 (integers converted), text columns as strings.
struct TableData {
  std::string name;
  std::map<std::string, std::vector<double>, std::less<>> numbers;
  std::map<std::string, std::vector<std::string>, std::less<>> text;

  /// Column `name` of either kind, or nullptr.
  const std::vector<double>* number_column(std::string_view column) const;
  const std::vector<std::string>* text_column(std::string_view column) const;
};

struct PointData {
  std::string path;
  std::vector<Attribute> parameters;         ///< /parameters
  std::vector<Attribute> provenance;         ///< root attributes
  std::vector<OperationSamples> operations;  ///< sorted by name
  std::vector<RankData> ranks;               ///< /ranks, by rank
  std::vector<TableData> tables;             ///< /tables, sorted by name

  /// The parameter or provenance attribute `name`, or nullptr.
  const core::ParamValue* parameter(std::string_view name) const;
  const core::ParamValue* attribute(std::string_view name) const;
  const OperationSamples* operation(std::string_view name) const;
  const TableData* table(std::string_view name) const;
};

/// Reads the whole point file at `path`. Throws ResultsError when it cannot be opened or is not
/// a complete scalestudy point file.
PointData read_point_file(const std::string& path);

/// Whether `path` is a complete point file (opens, has format_version and /parameters).
bool is_complete_point_file(const std::string& path);

}  // namespace scalestudy::results
