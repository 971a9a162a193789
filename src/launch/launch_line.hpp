// How one study point is launched: the launcher's command line, its environment and the files
// it reads (hostfile, rankfile, srun's multi-prog).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "launch/allocation.hpp"
#include "study/study.hpp"

namespace scalestudy::launch {

using Environment = std::vector<std::pair<std::string, std::string>>;

/// Where a point's files go and what runs it.
struct PointFiles {
  std::string directory;     ///< results/<study>/points/<id>
  std::string point_file;    ///< <directory>/point.yaml: the resolved point
  std::string results_file;  ///< <directory>/point.h5
  std::string log_file;      ///< <directory>/log.txt: stdout and stderr of the job
  std::string hostfile;      ///< <directory>/hostfile (real nodes only)
  std::string rankfile;      ///< <directory>/rankfile (when ranks are bound to uneven CPU sets)
  std::string multi_prog;    ///< <directory>/multi-prog.conf (srun with Python consumers)
};

PointFiles point_files(const study::Study& study, const study::StudyPoint& point);

/// A file the launch reads, written beside the point before it starts.
struct LaunchFile {
  std::string path;
  std::string text;
};

struct Launch {
  /// The launcher, its options, scalestudy-rank --point <file>; with Python consumers (MPMD)
  /// mpirun's second app context ": -n <consumers> [-x ...] python3 -m scalestudy.consumer
  /// --point <file>", or srun's --multi-prog file.
  std::vector<std::string> argv;
  /// Index in argv of each mpirun app context's program; empty for srun (which exports the
  /// whole environment instead of naming variables).
  std::vector<std::size_t> programs;
  Environment env;                ///< set for the launcher (and so for every rank)
  std::vector<LaunchFile> files;  ///< hostfile, rankfile, multi-prog, as the launch needs
  std::string placement;          ///< the placement decided (launch/placement.hpp), one line
  bool oversubscribed = false;    ///< more threads than CPUs on a node
  int threads_per_node = 0;       ///< threads the busiest node runs
  int cpus_per_node = 0;          ///< CPUs it has

  /// The text of the file at `path`, or nullptr when the launch writes none there.
  const std::string* file(const std::string& path) const;
};

/// The machine the study runs from, and the nodes it runs on.
struct LaunchHost {
  std::string rank_program;        ///< path of scalestudy-rank
  std::string python = "python3";  ///< interpreter of Python consumer ranks (with mpi4py)
  std::string python_path;         ///< PYTHONPATH holding the scalestudy package ("": none)
  int cores = 1;                   ///< cores of this machine (for oversubscription)
  bool root = false;               ///< Open MPI needs OMPI_ALLOW_RUN_AS_ROOT for root
  Allocation allocation;           ///< the nodes points run on (launch/allocation.hpp)
};

/// Builds the launch of `point` with the study's launcher (mpirun or srun). Throws ConfigError
/// when the allocation cannot hold it.
Launch build_launch(const study::Study& study, const study::StudyPoint& point,
                    const PointFiles& files, const LaunchHost& host);

/// Sets SCALESTUDY_LAUNCH_TIME=`epoch` (seconds since the Unix epoch) for every rank, so that
/// ranks count their start-up from the launch: mpirun exports it with -x to every app context,
/// srun exports the whole environment. `scalestudy run` stamps each launch just before it.
void stamp_launch_time(Launch& launch, double epoch);

/// The launch as one line a user can paste into a POSIX shell (environment first).
std::string shell_line(const Launch& launch);

/// Quotes one word for a POSIX shell when it needs it.
std::string shell_quote(const std::string& word);

}  // namespace scalestudy::launch
