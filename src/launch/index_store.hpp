// The study index as every process that runs or submits a study's points shares it: several
// allocations may run points of one study at once, so each change is read, applied and written
// under one lock.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "results/study_index.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {

using StatusMap = std::map<std::string, results::PointStatus>;  ///< by point id

/// Holds an exclusive lock (flock) on results/<study>/index.lock while it lives, creating the
/// study's folder if needed. Blocks until the lock is free. Throws Error if it cannot.
class IndexLock {
 public:
  explicit IndexLock(const study::Study& study);
  ~IndexLock();
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  int fd_ = -1;
};

/// The status of every point of `study`: as the index on disk has it (an unreadable index is
/// rebuilt), with the point's id, swept values, size and parameters from the study. With
/// `check_files`, a point whose results file is complete is completed, whatever the index
/// said, and one whose file went missing is pending again (one HDF5 open per point).
StatusMap read_statuses(const study::Study& study, bool check_files);

/// Writes results/<study>/index.h5 from `statuses`, in study order, with the study's
/// attributes. Call with the IndexLock held.
void write_index(const study::Study& study, const StatusMap& statuses);

/// Under the lock: reads the statuses (without checking files), applies `change`, writes.
void update_index(const study::Study& study, const std::function<void(StatusMap&)>& change);

}  // namespace scalestudy::launch
