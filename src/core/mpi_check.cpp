// Checked MPI calls: error code to exception.
#include "core/mpi_check.hpp"

#include <string>

#include "core/error.hpp"

namespace scalestudy::core {

void check_mpi(int rc, std::string_view what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(std::string(what) + ": " +
                 (length > 0 ? std::string(text, static_cast<std::size_t>(length))
                             : "MPI error " + std::to_string(rc)));
}

}  // namespace scalestudy::core
