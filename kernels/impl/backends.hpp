// What each backend's files provide to the registry and the runtime; not for other callers.
#pragma once

#include <memory>

#include "kernels/backend.hpp"

namespace scalestudy::kernels::detail {

/// The OpenMP backend on `threads` threads (0: omp_get_max_threads()).
std::unique_ptr<Backend> make_openmp_backend(int threads);

/// Whether the Kokkos backend is compiled in (kokkos/ when Kokkos is found, else a stub).
bool kokkos_built();

/// The Kokkos backend; throws KernelError when Kokkos is not built or not running.
std::unique_ptr<Backend> make_kokkos_backend(int threads);

/// Starts Kokkos on `threads` host threads unless it is running; true if it started it.
bool start_kokkos(int threads);

/// Finalises Kokkos.
void stop_kokkos();

}  // namespace scalestudy::kernels::detail
