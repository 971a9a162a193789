// Checked MPI calls: turn an MPI error code into an MpiError naming the call.
#pragma once

#include <mpi.h>

#include <string_view>

namespace scalestudy::core {

/// Throws MpiError("<what>: <MPI error string>") unless rc == MPI_SUCCESS.
void check_mpi(int rc, std::string_view what);

/// Throws MpiError like check_mpi, only when rc != MPI_SUCCESS (inline fast path).
inline void mpi_call(int rc, std::string_view what) {
  if (rc != MPI_SUCCESS) [[unlikely]] {
    check_mpi(rc, what);
  }
}

}  // namespace scalestudy::core
