// The OpenMP backend: host memory, loops over raw pointers, each backend with its own threads.
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "kernels/impl/backends.hpp"
#include "kernels/impl/layout.hpp"
#include "kernels/impl/point_ops.hpp"

namespace scalestudy::kernels::detail {

namespace {

using Index = std::ptrdiff_t;

Index as_index(std::size_t n) { return static_cast<Index>(n); }

// Values a flat reduction hands to one thread at a time: long enough for the vector loop to
// dominate, short enough to balance two or more threads on small fields.
constexpr Index kReduceChunk = 4096;

// Adds n contiguous values into (sum, sum_squares, max_abs). Four independent partial results,
// combined pairwise at the end, let any compiler vectorise it (an `omp simd` max reduction needs
// fast-math in Clang) and fix the summation order: the same on every compiler and vector width,
// within the usual n*eps bound of a serial sum.
inline void accumulate(const double* values, Index n, double& sum, double& sum_squares,
                       double& max_abs) {
  constexpr Index kLanes = 4;
  double s[kLanes] = {}, q[kLanes] = {}, m[kLanes] = {};
  Index i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (Index l = 0; l < kLanes; ++l) {
      const double x = values[i + l];
      s[l] += x;
      q[l] += x * x;
      m[l] = larger(m[l], magnitude(x));
    }
  }
  for (; i < n; ++i) {
    s[0] += values[i];
    q[0] += values[i] * values[i];
    m[0] = larger(m[0], magnitude(values[i]));
  }
  sum += (s[0] + s[1]) + (s[2] + s[3]);
  sum_squares += (q[0] + q[1]) + (q[2] + q[3]);
  max_abs = larger(max_abs, larger(larger(m[0], m[1]), larger(m[2], m[3])));
}

// The normalised value of every byte in each channel: the same normalize_value, computed 768
// times instead of once per value, so uint8 input costs a table lookup, not two divisions.
struct ByteTable {
  float values[3][256];

  ByteTable() {
    for (int c = 0; c < 3; ++c) {
      for (int b = 0; b < 256; ++b) {
        values[c][b] =
            normalize_value(static_cast<float>(b), kImagenetMean[static_cast<std::size_t>(c)],
                            kImagenetStd[static_cast<std::size_t>(c)]);
      }
    }
  }
};

// HWC (channels last) to NCHW with pre_process_3ch's arithmetic; one task per image row.
template <class T>
void normalize_rows(const T* in, const ImageDims& dims, float* out, int threads) {
  const Index batch = as_index(dims.batch);
  const Index height = as_index(dims.height);
  const Index width = as_index(dims.width);
  const Index plane = height * width;
  const float mean0 = kImagenetMean[0], mean1 = kImagenetMean[1], mean2 = kImagenetMean[2];
  const float std0 = kImagenetStd[0], std1 = kImagenetStd[1], std2 = kImagenetStd[2];
  static const ByteTable table;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (Index n = 0; n < batch; ++n) {
    for (Index y = 0; y < height; ++y) {
      const T* row = in + (n * height + y) * width * 3;
      float* red = out + n * 3 * plane + y * width;
      float* green = red + plane;
      float* blue = green + plane;
      if constexpr (std::is_same_v<T, std::uint8_t>) {
        for (Index x = 0; x < width; ++x) {
          red[x] = table.values[0][row[3 * x]];
          green[x] = table.values[1][row[3 * x + 1]];
          blue[x] = table.values[2][row[3 * x + 2]];
        }
      } else {
#pragma omp simd
        for (Index x = 0; x < width; ++x) {
          red[x] = normalize_value(static_cast<float>(row[3 * x]), mean0, std0);
          green[x] = normalize_value(static_cast<float>(row[3 * x + 1]), mean1, std1);
          blue[x] = normalize_value(static_cast<float>(row[3 * x + 2]), mean2, std2);
        }
      }
    }
  }
}

// A block in host memory: two (nx+2)*(ny+2)*(nz+2) arrays, x slowest, z fastest.
class OpenMpHeatStencil final : public HeatStencil {
 public:
  OpenMpHeatStencil(const HeatParams& params, const int& threads)
      : HeatStencil(params),
        n_(params.interior),
        y_stride_(as_index(n_.nz + 2)),
        x_stride_(as_index((n_.ny + 2) * (n_.nz + 2))),
        threads_(threads) {
    const Index size = as_index(n_.nx + 2) * x_stride_;
    // Uninitialised, then zeroed by the threads that will update each plane, so that pages land
    // on their NUMA node (first touch).
    first_ = std::make_unique_for_overwrite<double[]>(static_cast<std::size_t>(size));
    second_ = std::make_unique_for_overwrite<double[]>(static_cast<std::size_t>(size));
    double* first = first_.get();
    double* second = second_.get();
    const Index planes = as_index(n_.nx + 2);
    const Index plane = x_stride_;
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (Index i = 0; i < planes; ++i) {
      std::memset(first + i * plane, 0, static_cast<std::size_t>(plane) * sizeof(double));
      std::memset(second + i * plane, 0, static_cast<std::size_t>(plane) * sizeof(double));
    }
    current_ = first;
    next_ = second;
  }

 private:
  Index at(std::size_t i, std::size_t j, std::size_t k) const {
    return as_index(i) * x_stride_ + as_index(j) * y_stride_ + as_index(k);
  }

  // Copies between a packed nx*ny*nz host array and the interior of `field`, one row at a time.
  template <bool IntoField>
  void copy_interior(double* field,
                     std::conditional_t<IntoField, const double*, double*> packed) const {
    const Index nx = as_index(n_.nx), ny = as_index(n_.ny);
    const std::size_t row_bytes = n_.nz * sizeof(double);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads_)
    for (Index i = 0; i < nx; ++i) {
      for (Index j = 0; j < ny; ++j) {
        double* row = field + (i + 1) * x_stride_ + (j + 1) * y_stride_ + 1;
        auto* flat = packed + (i * ny + j) * as_index(n_.nz);
        if constexpr (IntoField) {
          std::memcpy(row, flat, row_bytes);
        } else {
          std::memcpy(flat, row, row_bytes);
        }
      }
    }
  }

  // Calls f(storage index, buffer index) over `box` in face-buffer order.
  template <class F>
  void for_each_in(const Box& box, F&& f) const {
    Index buffer = 0;
    for (std::size_t i = box.begin[0]; i < box.end[0]; ++i) {
      for (std::size_t j = box.begin[1]; j < box.end[1]; ++j) {
        for (std::size_t k = box.begin[2]; k < box.end[2]; ++k) f(at(i, j, k), buffer++);
      }
    }
  }

  void do_set_interior(std::span<const double> values) override {
    copy_interior<true>(current_, values.data());
  }

  void do_get_interior(std::span<double> values) const override {
    copy_interior<false>(current_, values.data());
  }

  void do_set_boundary(Face face, double value) override {
    double* current = current_;
    double* next = next_;
    for_each_in(face_layer(n_, face, true), [&](Index index, Index) {
      current[index] = value;
      next[index] = value;
    });
  }

  void do_pack_face(Face face, std::span<double> out) const override {
    const double* current = current_;
    double* buffer = out.data();
    for_each_in(face_layer(n_, face, false),
                [&](Index index, Index b) { buffer[b] = current[index]; });
  }

  void do_unpack_halo(Face face, std::span<const double> in) override {
    double* current = current_;
    const double* buffer = in.data();
    for_each_in(face_layer(n_, face, true),
                [&](Index index, Index b) { current[index] = buffer[b]; });
  }

  void do_step(int steps) override {
    const Index nx = as_index(n_.nx), ny = as_index(n_.ny), nz = as_index(n_.nz);
    const Index sx = x_stride_, sy = y_stride_;
    const double r = diffusion_number();
    for (int s = 0; s < steps; ++s) {
      const double* u = current_;
      double* v = next_;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads_)
      for (Index i = 1; i <= nx; ++i) {
        for (Index j = 1; j <= ny; ++j) {
          const double* c = u + i * sx + j * sy;
          double* out = v + i * sx + j * sy;
#pragma omp simd
          for (Index k = 1; k <= nz; ++k) {
            out[k] = heat_update(c[k], c[k - sx], c[k + sx], c[k - sy], c[k + sy], c[k - 1],
                                 c[k + 1], r);
          }
        }
      }
      std::swap(current_, next_);
    }
  }

  FieldStats do_stats() const override {
    const Index nx = as_index(n_.nx), ny = as_index(n_.ny), nz = as_index(n_.nz);
    const double* u = current_;
    double sum = 0.0, sum_squares = 0.0, max_abs = 0.0;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads_) \
    reduction(+ : sum, sum_squares) reduction(max : max_abs)
    for (Index i = 1; i <= nx; ++i) {
      for (Index j = 1; j <= ny; ++j) {
        accumulate(u + i * x_stride_ + j * y_stride_ + 1, nz, sum, sum_squares, max_abs);
      }
    }
    return {n_.points(), sum, sum_squares, max_abs};
  }

  Extent3 n_;
  Index y_stride_;
  Index x_stride_;
  const int& threads_;  // the backend's, so that set_threads reaches stencils made earlier
  std::unique_ptr<double[]> first_;
  std::unique_ptr<double[]> second_;
  double* current_ = nullptr;
  double* next_ = nullptr;
};

class OpenMpBackend final : public Backend {
 public:
  explicit OpenMpBackend(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}

  std::string_view name() const override { return "openmp"; }
  bool runs_on_openmp_team() const override { return true; }
  std::string execution_space() const override { return "OpenMP"; }
  std::string version() const override { return "OpenMP " + std::to_string(_OPENMP); }
  int threads() const override { return threads_; }

  void set_threads(int threads) override {
    if (threads < 1) {
      throw KernelError("openmp kernel backend: set_threads(" + std::to_string(threads) +
                        "); use 1 or more");
    }
    threads_ = threads;
  }

  std::unique_ptr<HeatStencil> make_heat_stencil(const HeatParams& params) const override {
    return std::make_unique<OpenMpHeatStencil>(params, threads_);
  }

 private:
  void do_normalize(std::span<const std::uint8_t> hwc, const ImageDims& dims,
                    std::span<float> nchw) override {
    normalize_rows(hwc.data(), dims, nchw.data(), threads_);
  }

  void do_normalize(std::span<const float> hwc, const ImageDims& dims,
                    std::span<float> nchw) override {
    normalize_rows(hwc.data(), dims, nchw.data(), threads_);
  }

  FieldStats do_reduce(std::span<const double> values) const override {
    const double* data = values.data();
    const Index n = as_index(values.size());
    const Index chunks = (n + kReduceChunk - 1) / kReduceChunk;
    double sum = 0.0, sum_squares = 0.0, max_abs = 0.0;
#pragma omp parallel for schedule(static) num_threads(threads_) \
    reduction(+ : sum, sum_squares) reduction(max : max_abs)
    for (Index c = 0; c < chunks; ++c) {
      const Index begin = c * kReduceChunk;
      const Index count = n - begin < kReduceChunk ? n - begin : kReduceChunk;
      accumulate(data + begin, count, sum, sum_squares, max_abs);
    }
    return {values.size(), sum, sum_squares, max_abs};
  }

  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_openmp_backend(int threads) {
  return std::make_unique<OpenMpBackend>(threads);
}

}  // namespace scalestudy::kernels::detail
