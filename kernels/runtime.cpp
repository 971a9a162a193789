// The process-wide guard that starts and stops Kokkos when this binary has it.
#include "kernels/runtime.hpp"

#include <string>

#include "core/error.hpp"
#include "kernels/impl/backends.hpp"

namespace scalestudy::kernels {

Runtime::Runtime(int threads) {
  if (threads < 0) {
    throw KernelError("kernels runtime: " + std::to_string(threads) +
                      " threads; use 1 or more, or 0 for the default");
  }
  owns_kokkos_ = detail::start_kokkos(threads);
}

Runtime::~Runtime() {
  if (owns_kokkos_) detail::stop_kokkos();
}

}  // namespace scalestudy::kernels
