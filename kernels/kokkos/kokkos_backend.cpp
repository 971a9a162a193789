// The Kokkos backend: Views in the default execution space's memory, portable to OpenMP and GPUs.
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "kernels/impl/backends.hpp"
#include "kernels/impl/layout.hpp"
#include "kernels/impl/point_ops.hpp"

// A named namespace, not an anonymous one: CUDA's extended lambdas may not be defined in
// functions whose template arguments or enclosing types have internal linkage. For the same
// reason every KOKKOS_LAMBDA is in a free function, and captures Views and scalars, never `this`.
namespace scalestudy::kernels::detail::kokkos_impl {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;
template <class T>
using DeviceView = Kokkos::View<T, Kokkos::LayoutRight, MemSpace>;
template <class T>
using HostView = Kokkos::View<T, Kokkos::LayoutRight, Kokkos::HostSpace,
                              Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using Field = DeviceView<double***>;
// Right-to-left iteration: k (contiguous in LayoutRight) is the fastest index, on CPUs for
// vector loads and on GPUs for coalesced ones.
using Policy3 =
    Kokkos::MDRangePolicy<ExecSpace,
                          Kokkos::Rank<3, Kokkos::Iterate::Right, Kokkos::Iterate::Right>,
                          Kokkos::IndexType<int>>;
using Policy1 = Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>;

// Whether kernels may read host memory in place (Serial, OpenMP, Threads) or need it copied to
// the execution space's memory first (Cuda, HIP, SYCL).
constexpr bool kReadsHostMemory =
    Kokkos::SpaceAccessibility<ExecSpace, Kokkos::HostSpace>::accessible;

/// (sum, sum of squares, max |x|), reduced with a functor's join: Kokkos 3.4 has no multiple
/// reducers over an MDRangePolicy, and a value type with join works on every version.
struct StatsValue {
  double sum;
  double sum_squares;
  double max_abs;
};

/// Reduces either a flat View (1-D policy) or a block's interior (3-D policy) into StatsValue.
struct StatsFunctor {
  using value_type = StatsValue;

  DeviceView<const double*> flat;
  DeviceView<const double***> block;

  KOKKOS_INLINE_FUNCTION void add(value_type& acc, double x) const {
    acc.sum += x;
    acc.sum_squares += x * x;
    acc.max_abs = larger(acc.max_abs, magnitude(x));
  }
  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t i, value_type& acc) const {
    add(acc, flat(i));
  }
  KOKKOS_INLINE_FUNCTION void operator()(const int i, const int j, const int k,
                                         value_type& acc) const {
    add(acc, block(i, j, k));
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const {
    acc.sum = 0.0;
    acc.sum_squares = 0.0;
    acc.max_abs = 0.0;
  }
  KOKKOS_INLINE_FUNCTION void join(value_type& into, const value_type& from) const {
    into.sum += from.sum;
    into.sum_squares += from.sum_squares;
    into.max_abs = larger(into.max_abs, from.max_abs);
  }
#if KOKKOS_VERSION < 30700
  // Kokkos before 3.7 joins through volatile references only.
  KOKKOS_INLINE_FUNCTION void join(volatile value_type& into,
                                   const volatile value_type& from) const {
    into.sum = into.sum + from.sum;
    into.sum_squares = into.sum_squares + from.sum_squares;
    into.max_abs = larger(into.max_abs, from.max_abs);
  }
#endif
};

/// One explicit-Euler step of the interior of u into v (halo of u read, halo of v untouched).
void heat_step(DeviceView<const double***> u, Field v, int nx, int ny, int nz, double r) {
  Kokkos::parallel_for(
      "scalestudy::heat_step", Policy3({1, 1, 1}, {nx + 1, ny + 1, nz + 1}),
      KOKKOS_LAMBDA(const int i, const int j, const int k) {
        v(i, j, k) = heat_update(u(i, j, k), u(i - 1, j, k), u(i + 1, j, k), u(i, j - 1, k),
                                 u(i, j + 1, k), u(i, j, k - 1), u(i, j, k + 1), r);
      });
}

/// HWC to NCHW with pre_process_3ch's arithmetic, one work item per pixel.
template <class T>
void normalize_pixels(DeviceView<const T*> in, DeviceView<float*> out, int batch, int height,
                      int width) {
  const float mean0 = kImagenetMean[0], mean1 = kImagenetMean[1], mean2 = kImagenetMean[2];
  const float std0 = kImagenetStd[0], std1 = kImagenetStd[1], std2 = kImagenetStd[2];
  const std::int64_t plane = std::int64_t{height} * width;
  Kokkos::parallel_for(
      "scalestudy::normalize_images", Policy3({0, 0, 0}, {batch, height, width}),
      KOKKOS_LAMBDA(const int n, const int y, const int x) {
        const std::int64_t pixel = (std::int64_t{n} * height + y) * width + x;
        const std::int64_t red = std::int64_t{n} * 3 * plane + std::int64_t{y} * width + x;
        out(red) = normalize_value(static_cast<float>(in(3 * pixel)), mean0, std0);
        out(red + plane) = normalize_value(static_cast<float>(in(3 * pixel + 1)), mean1, std1);
        out(red + 2 * plane) = normalize_value(static_cast<float>(in(3 * pixel + 2)), mean2, std2);
      });
}

/// `host` as a View the execution space can read: the memory itself when it can, else a copy in
/// `staging` (reallocated when the size changes).
template <class T>
DeviceView<const T*> readable(std::span<const T> host, DeviceView<T*>& staging) {
  if constexpr (kReadsHostMemory) {
    return DeviceView<const T*>(host.data(), host.size());
  } else {
    if (staging.extent(0) != host.size()) {
      staging = DeviceView<T*>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "scalestudy::in"),
                               host.size());
    }
    Kokkos::deep_copy(staging, HostView<const T*>(host.data(), host.size()));
    return staging;
  }
}

/// `host` as a View the execution space can write: the memory itself when it can, else
/// `staging`, which deliver() then copies back.
DeviceView<float*> writable(std::span<float> host, DeviceView<float*>& staging) {
  if constexpr (kReadsHostMemory) {
    return DeviceView<float*>(host.data(), host.size());
  } else {
    if (staging.extent(0) != host.size()) {
      staging = DeviceView<float*>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "scalestudy::out"), host.size());
    }
    return staging;
  }
}

/// Waits for the kernel writing `result` and, for a device space, copies it to `host`.
void deliver(DeviceView<float*> result, std::span<float> host) {
  if constexpr (kReadsHostMemory) {
    ExecSpace().fence();
  } else {
    Kokkos::deep_copy(HostView<float*>(host.data(), host.size()), result);
  }
}

auto range(const Box& box, std::size_t axis) {
  return Kokkos::make_pair(box.begin[axis], box.end[axis]);
}

/// A block as two (nx+2, ny+2, nz+2) Views; faces travel through a staging View per axis.
class KokkosHeatStencil final : public HeatStencil {
 public:
  explicit KokkosHeatStencil(const HeatParams& params)
      : HeatStencil(params),
        n_(params.interior),
        current_("scalestudy::heat_u", n_.nx + 2, n_.ny + 2, n_.nz + 2),
        next_("scalestudy::heat_v", n_.nx + 2, n_.ny + 2, n_.nz + 2),
        faces_{Field("scalestudy::face_x", 1, n_.ny, n_.nz),
               Field("scalestudy::face_y", n_.nx, 1, n_.nz),
               Field("scalestudy::face_z", n_.nx, n_.ny, 1)} {}

 private:
  Box interior() const { return {{1, 1, 1}, {n_.nx + 1, n_.ny + 1, n_.nz + 1}}; }

  static auto part(const Field& field, const Box& box) {
    return Kokkos::subview(field, range(box, 0), range(box, 1), range(box, 2));
  }

  void do_set_interior(std::span<const double> values) override {
    Field staging(Kokkos::view_alloc(Kokkos::WithoutInitializing, "scalestudy::interior"), n_.nx,
                  n_.ny, n_.nz);
    Kokkos::deep_copy(staging, HostView<const double***>(values.data(), n_.nx, n_.ny, n_.nz));
    Kokkos::deep_copy(part(current_, interior()), staging);
  }

  void do_get_interior(std::span<double> values) const override {
    Field staging(Kokkos::view_alloc(Kokkos::WithoutInitializing, "scalestudy::interior"), n_.nx,
                  n_.ny, n_.nz);
    Kokkos::deep_copy(staging, part(current_, interior()));
    Kokkos::deep_copy(HostView<double***>(values.data(), n_.nx, n_.ny, n_.nz), staging);
  }

  void do_set_boundary(Face face, double value) override {
    const Box halo = face_layer(n_, face, true);
    Kokkos::deep_copy(part(current_, halo), value);
    Kokkos::deep_copy(part(next_, halo), value);
  }

  void do_pack_face(Face face, std::span<double> out) const override {
    const Box layer = face_layer(n_, face, false);
    const Field& staging = faces_[face_axis(face)];
    Kokkos::deep_copy(staging, part(current_, layer));
    Kokkos::deep_copy(
        HostView<double***>(out.data(), layer.extent(0), layer.extent(1), layer.extent(2)),
        staging);
  }

  void do_unpack_halo(Face face, std::span<const double> in) override {
    const Box halo = face_layer(n_, face, true);
    const Field& staging = faces_[face_axis(face)];
    Kokkos::deep_copy(staging, HostView<const double***>(in.data(), halo.extent(0), halo.extent(1),
                                                         halo.extent(2)));
    Kokkos::deep_copy(part(current_, halo), staging);
  }

  void do_step(int steps) override {
    const double r = diffusion_number();
    for (int s = 0; s < steps; ++s) {
      heat_step(current_, next_, static_cast<int>(n_.nx), static_cast<int>(n_.ny),
                static_cast<int>(n_.nz), r);
      std::swap(current_, next_);
    }
    ExecSpace().fence();
  }

  FieldStats do_stats() const override {
    const int nx = static_cast<int>(n_.nx), ny = static_cast<int>(n_.ny);
    const int nz = static_cast<int>(n_.nz);
    StatsValue result{};
    Kokkos::parallel_reduce("scalestudy::heat_stats", Policy3({1, 1, 1}, {nx + 1, ny + 1, nz + 1}),
                            StatsFunctor{{}, current_}, result);
    return {n_.points(), result.sum, result.sum_squares, result.max_abs};
  }

  Extent3 n_;
  Field current_;
  Field next_;
  Field faces_[3];  // staging for one face of each axis: (1,ny,nz), (nx,1,nz), (nx,ny,1)
};

class KokkosBackend final : public Backend {
 public:
  std::string_view name() const override { return "kokkos"; }
  bool runs_on_openmp_team() const override { return false; }
  std::string execution_space() const override { return ExecSpace::name(); }

  std::string version() const override {
    return "Kokkos " + std::to_string(KOKKOS_VERSION / 10000) + "." +
           std::to_string(KOKKOS_VERSION / 100 % 100) + "." + std::to_string(KOKKOS_VERSION % 100);
  }

  int threads() const override { return ExecSpace().concurrency(); }

  void set_threads(int threads) override {
    if (threads < 1) {
      throw KernelError("kokkos kernel backend: set_threads(" + std::to_string(threads) +
                        "); use 1 or more");
    }
    if (std::is_same_v<ExecSpace, Kokkos::DefaultHostExecutionSpace> &&
        threads != this->threads()) {
      throw KernelError("kokkos kernel backend: asked for " + std::to_string(threads) +
                        " threads, but Kokkos's " + execution_space() + " execution space runs " +
                        std::to_string(this->threads()) +
                        ", fixed when Kokkos started; start it with that many (kernels::Runtime, "
                        "OMP_NUM_THREADS) on a Kokkos built with OpenMP or Threads");
    }
  }

  std::unique_ptr<HeatStencil> make_heat_stencil(const HeatParams& params) const override {
    return std::make_unique<KokkosHeatStencil>(params);
  }

 private:
  template <class T>
  void normalize(std::span<const T> hwc, const ImageDims& dims, std::span<float> nchw,
                 DeviceView<T*>& in_staging) {
    const DeviceView<float*> out = writable(nchw, out_staging_);
    normalize_pixels<T>(readable(hwc, in_staging), out, static_cast<int>(dims.batch),
                        static_cast<int>(dims.height), static_cast<int>(dims.width));
    deliver(out, nchw);
  }

  void do_normalize(std::span<const std::uint8_t> hwc, const ImageDims& dims,
                    std::span<float> nchw) override {
    normalize(hwc, dims, nchw, bytes_staging_);
  }

  void do_normalize(std::span<const float> hwc, const ImageDims& dims,
                    std::span<float> nchw) override {
    normalize(hwc, dims, nchw, floats_staging_);
  }

  FieldStats do_reduce(std::span<const double> values) const override {
    StatsValue result{};
    Kokkos::parallel_reduce("scalestudy::reduce",
                            Policy1(0, static_cast<std::int64_t>(values.size())),
                            StatsFunctor{readable(values, doubles_staging_), {}}, result);
    return {values.size(), result.sum, result.sum_squares, result.max_abs};
  }

  // Device copies of host data, kept between calls (empty when kernels read host memory).
  DeviceView<std::uint8_t*> bytes_staging_;
  DeviceView<float*> floats_staging_;
  DeviceView<float*> out_staging_;
  mutable DeviceView<double*> doubles_staging_;
};

}  // namespace scalestudy::kernels::detail::kokkos_impl

namespace scalestudy::kernels::detail {

std::unique_ptr<Backend> make_kokkos_backend(int threads) {
  if (!Kokkos::is_initialized()) {
    throw KernelError(
        "kernel backend 'kokkos': Kokkos is not running; create a scalestudy::kernels::Runtime "
        "(once per process, in main) before making the backend");
  }
  auto backend = std::make_unique<kokkos_impl::KokkosBackend>();
  if (threads > 0) backend->set_threads(threads);
  return backend;
}

}  // namespace scalestudy::kernels::detail
