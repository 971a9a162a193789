// scalestudy-rank: the MPI program that runs one sweep point (database and client ranks).
#include <mpi.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/mpi_runtime.hpp"
#include "core/parameters.hpp"
#include "core/provenance.hpp"
#include "point/run_point.hpp"
#include "study/point_file.hpp"

namespace {

using scalestudy::core::ParamType;

const char* type_label(ParamType type) {
  switch (type) {
    case ParamType::Integer:
      return "INT";
    case ParamType::Bytes:
      return "BYTES";
    case ParamType::Real:
      return "REAL";
    case ParamType::Boolean:
      return "BOOL";
    case ParamType::Text:
      return "TEXT";
    case ParamType::Choice:
      return "CHOICE";
  }
  return "VALUE";
}

/// Before MPI is up: whether this process is rank 0 according to the launcher.
bool launcher_rank_zero() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(name)) return std::string(value) == "0";
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace core = scalestudy::core;
  CLI::App app{
      "scalestudy-rank runs one point of a scaling study as one MPI job: database ranks serve "
      "an in-memory tensor store while client ranks time a workload against it, and every "
      "sample is written to an HDF5 file.\n\n"
      "  mpirun -n 5 scalestudy-rank --point point.yaml --tensor_bytes 1MiB\n\n"
      "Parameters come from their defaults, then the --point file, then flags."};
  app.get_formatter()->column_width(34);
  std::string point_file;
  app.add_option("--point", point_file,
                 "YAML file of 'parameter: value' lines (any parameter below)")
      ->type_name("FILE");
  std::map<std::string, std::string> flags;
  std::map<std::string, CLI::Option*> options;
  for (const auto& spec : core::parameter_schema()) {
    std::string help(spec.help);
    if (spec.type == ParamType::Choice) {
      help += " [";
      for (std::size_t i = 0; i < spec.choices.size(); ++i) {
        help += (i ? "|" : "") + std::string(spec.choices[i]);
      }
      help += "]";
    }
    const std::string name(spec.name);
    options[name] = app.add_option("--" + name, flags[name], help)
                        ->group(std::string(spec.group))
                        ->type_name(type_label(spec.type))
                        ->default_str(std::string(spec.default_value));
  }
  CLI11_PARSE(app, argc, argv);

  core::Parameters params;
  try {
    if (!point_file.empty()) scalestudy::study::apply_point_file(point_file, params);
    for (const auto& [name, option] : options) {
      if (option->count() > 0) params.set(name, flags[name], "--" + name);
    }
  } catch (const scalestudy::ConfigError& error) {
    if (launcher_rank_zero()) std::fprintf(stderr, "scalestudy-rank: error: %s\n", error.what());
    return 2;
  }

  // MPI stays up until after the handlers below: a failing rank must reach MPI_Abort, not
  // MPI_Finalize (which would wait for ranks that are waiting for it).
  std::optional<core::MpiRuntime> mpi;
  try {
    mpi.emplace(&argc, &argv, MPI_THREAD_FUNNELED);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "scalestudy-rank: %s\n", error.what());
    return 1;
  }
  try {
    scalestudy::point::run_point(params,
                                 core::command_line(argc, const_cast<const char* const*>(argv)));
  } catch (const scalestudy::ConfigError& error) {
    // Raised identically on every rank before any work: report once, exit cleanly.
    if (core::world_rank() == 0) {
      std::fprintf(stderr, "scalestudy-rank: error: %s\n", error.what());
    }
    return 2;
  } catch (const std::exception& error) {
    core::abort_job(error.what());
  }
  return 0;
}
