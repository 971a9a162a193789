// The study index (results/<study>/index.h5): every point's status, and links to the
// completed point files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/point_writer.hpp"

namespace scalestudy::results {

struct PointStatus {
  std::string id;
  /// completed | failed | timeout | interrupted | pending | running | skipped (too large for
  /// the allocation it was run in)
  std::string status;
  std::int64_t exit_status = -1;  ///< of the launcher; -1 when not run or killed
  std::string reason;             ///< why it failed, "" when completed
  std::string log_tail;           ///< last lines of its log when it failed
  double duration_s = 0;
  std::int64_t world_size = 0;
  std::string varied;           ///< "tensor_bytes=1KiB, client_nodes=2"
  std::string parameters_yaml;  ///< the resolved point
  std::string file;             ///< point file relative to the index, "" unless completed
  std::int64_t nodes = 0;       ///< nodes the point occupies
  std::string job_id;           ///< batch job that runs or last ran it ("": none)
  std::string scheduler;        ///< whose job: slurm, pbs or torque ("": none)
  std::string job_script;       ///< the job script submitted for it ("": none)
};

struct StudyIndex {
  std::vector<Attribute> attributes;  ///< study name, file, version, counts, update time
  std::vector<PointStatus> points;    ///< in study order
};

/// Writes `path` (as <path>.tmp, then renamed) with /points columns and an external link
/// /links/<id> to each completed point file. Serial. Throws ResultsError.
void write_study_index(const std::string& path, const StudyIndex& index);

/// Reads an index written by write_study_index. Throws ResultsError.
StudyIndex read_study_index(const std::string& path);

}  // namespace scalestudy::results
