// A kernel backend (openmp, kokkos) picked by name: the stencil, image normalisation, reduction.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/normalize.hpp"
#include "kernels/reduce.hpp"
#include "kernels/stencil.hpp"

namespace scalestudy::kernels {

/// One implementation of every kernel. Public calls check their arguments and throw KernelError
/// on a mismatch; the work is done by the backend. Not thread-safe: one backend per thread that
/// calls kernels (each kernel call is itself parallel). None of it is collective.
class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  /// The name it was made by: "openmp" or "kokkos".
  virtual std::string_view name() const = 0;

  /// Where kernels run: "OpenMP" for openmp; Kokkos's execution space ("Serial", "OpenMP",
  /// "Cuda", ...) for kokkos.
  virtual std::string execution_space() const = 0;

  /// The library and its version, for provenance: "OpenMP 201511", "Kokkos 3.4.1".
  virtual std::string version() const = 0;

  /// Threads each kernel call runs on.
  virtual int threads() const = 0;

  /// Whether its kernels run on the calling thread's OpenMP team (openmp), so that sampling
  /// that team shows where they run.
  virtual bool runs_on_openmp_team() const = 0;

  /// Sets the threads of every later kernel call, including those of stencils made earlier.
  /// openmp: any count >= 1 (OMP_NUM_THREADS is only the default). kokkos: a host execution
  /// space's thread count is fixed when Kokkos starts (Runtime, OMP_NUM_THREADS), so any other
  /// count throws KernelError; device spaces ignore it. Throws KernelError for threads < 1.
  virtual void set_threads(int threads) = 0;

  /// A heat-diffusion block in this backend's memory, zero everywhere (interior and halo).
  /// Throws KernelError for an invalid or unstable problem (see HeatStencil).
  virtual std::unique_ptr<HeatStencil> make_heat_stencil(const HeatParams& params) const = 0;

  /// Normalises a uint8 HWC batch into float32 NCHW as SmartSim's pre_process_3ch does:
  /// (x / 255 - mean[c]) / std[c], in float32. Throws KernelError unless dims.channels is 3 and
  /// both spans have dims.values() values.
  void normalize_images(std::span<const std::uint8_t> hwc, const ImageDims& dims,
                        std::span<float> nchw);

  /// The same for float32 HWC input (values in [0, 255]).
  void normalize_images(std::span<const float> hwc, const ImageDims& dims, std::span<float> nchw);

  /// Sum, sum of squares and largest magnitude of `values` (host memory), in one pass.
  FieldStats reduce(std::span<const double> values) const;

 protected:
  Backend() = default;

 private:
  virtual void do_normalize(std::span<const std::uint8_t> hwc, const ImageDims& dims,
                            std::span<float> nchw) = 0;
  virtual void do_normalize(std::span<const float> hwc, const ImageDims& dims,
                            std::span<float> nchw) = 0;
  virtual FieldStats do_reduce(std::span<const double> values) const = 0;
};

/// Names of the backends built into this binary: "openmp", then "kokkos" when Kokkos was found.
std::vector<std::string> available_backends();

/// Whether backend `name` runs only once its process runtime has started (Runtime: kokkos).
bool needs_runtime(std::string_view name);

/// The backend called `name` running `threads` threads (0: OMP_NUM_THREADS or the backend's
/// default). Throws KernelError for an unknown name or one not built here (listing those that
/// are), and for kokkos before a Runtime has started Kokkos.
std::unique_ptr<Backend> make_backend(std::string_view name, int threads = 0);

}  // namespace scalestudy::kernels
