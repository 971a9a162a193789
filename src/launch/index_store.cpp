// Reading and writing the study index under one lock.
#include "launch/index_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/provenance.hpp"
#include "launch/allocation.hpp"
#include "launch/launch_line.hpp"
#include "results/point_reader.hpp"

namespace scalestudy::launch {
namespace {

namespace fs = std::filesystem;
using study::varied_text;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ",") + word;
  return out;
}

}  // namespace

IndexLock::IndexLock(const study::Study& study) {
  fs::create_directories(study.study_dir());
  const std::string path = study.study_dir() + "/index.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int error = errno;
      ::close(fd_);
      throw Error("cannot lock " + path + ": " + std::strerror(error));
    }
  }
}

IndexLock::~IndexLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

StatusMap read_statuses(const study::Study& study, bool check_files) {
  StatusMap known;
  const std::string index = study.study_dir() + "/index.h5";
  if (fs::exists(index)) {
    try {
      for (auto& status : results::read_study_index(index).points) {
        known[status.id] = std::move(status);
      }
    } catch (const Error&) {
      // A damaged index is rebuilt from the study and the point files.
      check_files = true;
    }
  }
  for (const auto& point : study.points) {
    auto& status = known[point.id];
    status.id = point.id;
    status.varied = varied_text(point);
    status.world_size = point.world_size;
    status.nodes = nodes_needed(study, point);
    status.parameters_yaml = point.params.to_yaml();
    if (status.status.empty()) status.status = "pending";
    if (!check_files) continue;
    if (results::is_complete_point_file(point_files(study, point).results_file)) {
      status.status = "completed";
      status.file = "points/" + point.id + "/point.h5";
      status.reason.clear();
      status.log_tail.clear();
    } else if (status.status == "completed") {
      status.status = "pending";
      status.file.clear();
    }
  }
  return known;
}

void write_index(const study::Study& study, const StatusMap& statuses) {
  results::StudyIndex index;
  int completed = 0;
  int failed = 0;
  for (const auto& point : study.points) {
    const auto& status = statuses.at(point.id);
    completed += status.status == "completed";
    failed += status.status == "failed" || status.status == "timeout";
    index.points.push_back(status);
  }
  index.attributes = {
      {"study_name", study.name},
      {"study_file", fs::absolute(study.path).string()},
      {"study_yaml", read_text(study.path)},
      {"description", study.description},
      {"scaling_mode", study.scaling.mode},
      {"scaling_divide", joined(study.scaling.divide)},
      {"swept_keys", joined(study.swept_keys)},
      {"report_compare", study.report_compare},
      {"scalestudy_version", std::string(core::build_info().version)},
      {"git_sha", std::string(core::build_info().git_sha)},
      {"updated", core::utc_timestamp()},
      {"n_points", static_cast<std::int64_t>(study.points.size())},
      {"n_completed", static_cast<std::int64_t>(completed)},
      {"n_failed", static_cast<std::int64_t>(failed)},
  };
  results::write_study_index(study.study_dir() + "/index.h5", index);
}

void update_index(const study::Study& study, const std::function<void(StatusMap&)>& change) {
  const IndexLock lock(study);
  StatusMap statuses = read_statuses(study, false);
  change(statuses);
  write_index(study, statuses);
}

}  // namespace scalestudy::launch
