// Reading a study's completed points, or one point file.
#include "report/result_set.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "report/format_util.hpp"

namespace scalestudy::report {

namespace fs = std::filesystem;

std::string ResultSet::attribute(const std::string& name) const {
  for (const auto& a : attributes) {
    if (a.name == name && std::holds_alternative<std::string>(a.value)) {
      return std::get<std::string>(a.value);
    }
  }
  return "";
}

std::vector<std::string> ResultSet::list_attribute(const std::string& name) const {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(attribute(name));
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

ResultSet read_result_set(const std::string& dir_or_file, bool include_older) {
  ResultSet set;
  if (!fs::is_directory(dir_or_file)) {
    set.points.push_back(results::read_point_file(dir_or_file));
    set.ids.push_back(fs::path(dir_or_file).parent_path().filename().string());
    set.varied.emplace_back();
    set.durations.push_back(0);
    set.title = "point " + dir_or_file;
    return set;
  }
  const std::string index_path = dir_or_file + "/index.h5";
  if (!fs::exists(index_path)) {
    throw ResultsError(dir_or_file +
                       " has no index.h5: give a study results directory (results/<study>/) or "
                       "a point file");
  }
  results::StudyIndex index = results::read_study_index(index_path);
  set.attributes = std::move(index.attributes);
  for (auto& status : index.points) {
    if (status.status != "completed") {
      set.not_completed.push_back(std::move(status));
      continue;
    }
    set.points.push_back(results::read_point_file(dir_or_file + "/" + status.file));
    set.ids.push_back(status.id);
    set.varied.push_back(status.varied);
    set.durations.push_back(status.duration_s);
  }
  set.title = "study " + set.attribute("study_name") + ": " +
              std::to_string(set.points.size() + set.not_completed.size()) + " points, " +
              std::to_string(set.points.size()) + " completed";

  // Points the index no longer lists: the study changed since they ran.
  std::set<std::string> listed(set.ids.begin(), set.ids.end());
  for (const auto& status : set.not_completed) listed.insert(status.id);
  const fs::path folder = fs::path(dir_or_file) / "points";
  std::vector<std::string> older;
  if (fs::is_directory(folder)) {
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string id = entry.path().filename().string();
      if (!listed.count(id) &&
          results::is_complete_point_file((entry.path() / "point.h5").string())) {
        older.push_back(id);
      }
    }
  }
  std::sort(older.begin(), older.end());
  set.older_ids = older;
  if (include_older && !older.empty()) {
    const auto swept = set.list_attribute("swept_keys");
    for (const auto& id : older) {
      set.points.push_back(results::read_point_file((folder / id / "point.h5").string()));
      set.ids.push_back(id);
      set.varied.push_back("older: " + detail::group_text(set.points.back(), swept, {}));
      set.durations.push_back(0);
    }
    set.older_included = true;
  }
  return set;
}

}  // namespace scalestudy::report
