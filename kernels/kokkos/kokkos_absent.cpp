// Stands in for kokkos/ when Kokkos is not built: no backend, nothing to start or stop.
#include "core/error.hpp"
#include "kernels/impl/backends.hpp"

namespace scalestudy::kernels::detail {

bool kokkos_built() { return false; }

std::unique_ptr<Backend> make_kokkos_backend(int /*threads*/) {
  throw KernelError("kernel backend 'kokkos' is not built into this binary");
}

bool start_kokkos(int /*threads*/) { return false; }

void stop_kokkos() {}

}  // namespace scalestudy::kernels::detail
