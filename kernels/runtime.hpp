// Process-wide start-up and shutdown of the kernel backends (Kokkos when it is built), RAII.
#pragma once

namespace scalestudy::kernels {

/// Starts Kokkos if this binary has it and it is not running yet, and finalises it on
/// destruction if it started it; without Kokkos it does nothing. Create one per process, before
/// any kokkos backend, and destroy every backend and stencil before it. OpenMP needs no start:
/// its threads come from OMP_NUM_THREADS or Backend::set_threads.
class Runtime {
 public:
  /// `threads`: threads of Kokkos's host execution space (0: OMP_NUM_THREADS or Kokkos's
  /// default). Throws KernelError if Kokkos cannot start.
  explicit Runtime(int threads = 0);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Whether this guard started Kokkos (and so finalises it).
  bool owns_kokkos() const { return owns_kokkos_; }

 private:
  bool owns_kokkos_ = false;
};

}  // namespace scalestudy::kernels
