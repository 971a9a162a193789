// The mpi backend's entry in the backend table.
#pragma once

#include "store/backend.hpp"

namespace scalestudy::store::mpi {

/// Factories for scalestudy's own MPI tensor store.
Backend backend();

}  // namespace scalestudy::store::mpi
