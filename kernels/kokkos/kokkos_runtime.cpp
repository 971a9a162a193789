// Starting and stopping Kokkos for kernels::Runtime, across Kokkos 3.x and 4.x.
#include <Kokkos_Core.hpp>

#include <exception>
#include <string>

#include "core/error.hpp"
#include "kernels/impl/backends.hpp"

namespace scalestudy::kernels::detail {

bool kokkos_built() { return true; }

bool start_kokkos(int threads) {
  if (Kokkos::is_initialized()) return false;
  try {
#if KOKKOS_VERSION >= 30700
    Kokkos::InitializationSettings settings;
    if (threads > 0) settings.set_num_threads(threads);
    Kokkos::initialize(settings);
#else
    Kokkos::InitArguments arguments;
    if (threads > 0) arguments.num_threads = threads;
    Kokkos::initialize(arguments);
#endif
  } catch (const std::exception& error) {
    throw KernelError(std::string("kernels runtime: Kokkos failed to start: ") + error.what());
  }
  return true;
}

void stop_kokkos() { Kokkos::finalize(); }

}  // namespace scalestudy::kernels::detail
