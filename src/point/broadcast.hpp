// Rank 0's text on every rank of a communicator.
#pragma once

#include <mpi.h>

#include <string>

#include "core/mpi_check.hpp"

namespace scalestudy::point {

/// A string every rank agrees on: rank 0's. Collective over `comm`. Throws MpiError.
inline std::string broadcast_string(std::string text, MPI_Comm comm) {
  int length = static_cast<int>(text.size());
  core::check_mpi(MPI_Bcast(&length, 1, MPI_INT, 0, comm), "MPI_Bcast");
  text.resize(static_cast<std::size_t>(length));
  core::check_mpi(MPI_Bcast(text.data(), length, MPI_CHAR, 0, comm), "MPI_Bcast");
  return text;
}

}  // namespace scalestudy::point
