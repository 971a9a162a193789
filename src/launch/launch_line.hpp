// How one study point is launched: the mpirun command line, its environment and hostfile.
#pragma once

#include <string>
#include <utility>
#include <vector>

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
};

PointFiles point_files(const study::Study& study, const study::StudyPoint& point);

struct Launch {
  /// launcher, its options, scalestudy-rank --point <file>; with Python consumers (MPMD) then
  /// ": -n <consumers> [-x ...] python3 -m scalestudy.consumer --point <file>"
  std::vector<std::string> argv;
  std::vector<std::size_t> programs;  ///< index in argv of each app context's program
  Environment env;                    ///< set for the launcher (and exported to the ranks)
  std::string hostfile_text;          ///< contents of PointFiles::hostfile, "" for virtual nodes
  std::string rankfile_text;          ///< contents of PointFiles::rankfile, "" when not needed
  std::string placement;              ///< the placement decided (launch/placement.hpp), one line
  bool oversubscribed = false;        ///< more threads than CPUs on a node
};

/// The machine the study runs from.
struct LaunchHost {
  std::string rank_program;        ///< path of scalestudy-rank
  std::string python = "python3";  ///< interpreter of Python consumer ranks (with mpi4py)
  std::string python_path;         ///< PYTHONPATH holding the scalestudy package ("": none)
  int cores = 1;                   ///< cores of this machine (for oversubscription)
  /// CPUs of each real node (a batch job's SLURM_CPUS_ON_NODE or NCPUS); 0: as this machine.
  int node_cpus = 0;
  bool root = false;               ///< Open MPI needs OMPI_ALLOW_RUN_AS_ROOT for root
  std::vector<std::string> hosts;  ///< real nodes available (from the hostfile or allocation)
};

/// Builds the launch of `point`. Throws ConfigError when the hosts cannot hold it.
Launch build_launch(const study::Study& study, const study::StudyPoint& point,
                    const PointFiles& files, const LaunchHost& host);

/// Exports SCALESTUDY_LAUNCH_TIME=`epoch` (seconds since the Unix epoch) to every rank, so
/// that ranks count their start-up from the launch. `scalestudy run` stamps each launch just
/// before starting it.
void stamp_launch_time(Launch& launch, double epoch);

/// The launch as one line a user can paste into a POSIX shell (environment first).
std::string shell_line(const Launch& launch);

/// Quotes one word for a POSIX shell when it needs it.
std::string shell_quote(const std::string& word);

/// Nodes named by a study's launcher.hostfile: a file ("host" or "host slots=N" lines, '#'
/// comments) or "allocation" (Slurm's SLURM_JOB_NODELIST via scontrol, or PBS_NODEFILE).
/// Throws ConfigError when the file or allocation cannot be read.
std::vector<std::string> read_hosts(const std::string& hostfile);

/// Nodes a point occupies: client nodes plus (standard) database nodes and a consumer node.
int nodes_needed(const study::StudyPoint& point);

}  // namespace scalestudy::launch
