// A set of results as the report and compare read it: a study's completed points (through its
// index) or one point file.
#pragma once

#include <string>
#include <vector>

#include "results/point_reader.hpp"
#include "results/study_index.hpp"

namespace scalestudy::report {

struct ResultSet {
  std::string title;  ///< "study <name>: N points, M completed" or "point <file>"
  std::vector<results::Attribute> attributes;       ///< the index's (none for a point file)
  std::vector<results::PointData> points;           ///< completed points, in study order
  std::vector<std::string> ids;                     ///< of each point
  std::vector<std::string> varied;                  ///< swept values of each point
  std::vector<double> durations;                    ///< the jobs' wall times, from the index
  std::vector<results::PointStatus> not_completed;  ///< failed, timed-out, pending points
  /// Complete point files in points/ that the index does not list: points of an older version
  /// of the study (their ids: another parameter set or scalestudy version).
  std::vector<std::string> older_ids;
  bool older_included = false;  ///< whether they are among `points`

  /// The index attribute `name` as text ("" when absent).
  std::string attribute(const std::string& name) const;
  /// A comma-separated index attribute as its items.
  std::vector<std::string> list_attribute(const std::string& name) const;
};

/// Reads `dir_or_file`: a study results directory (its index.h5 and completed point files) or
/// a point file. With `include_older`, the points of older versions of the study (older_ids)
/// are read too, after the study's own, labelled by their values of the swept keys. Throws
/// ResultsError when nothing can be read.
ResultSet read_result_set(const std::string& dir_or_file, bool include_older = false);

}  // namespace scalestudy::report
