// Compute kernels: the stencil against the analytic decay of a sine mode and a scalar reference,
// the halo layout, normalisation against pre_process_3ch, reductions against long double, and
// agreement of the openmp and kokkos backends.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/runtime.hpp"

namespace {

using namespace scalestudy::kernels;
using scalestudy::KernelError;

constexpr double kEps = std::numeric_limits<double>::epsilon();

// Index of interior point (i, j, k), 1-based as in the block's storage, in a packed
// nx*ny*nz array (z fastest).
std::size_t packed(const Extent3& n, std::size_t i, std::size_t j, std::size_t k) {
  return ((i - 1) * n.ny + (j - 1)) * n.nz + (k - 1);
}

std::vector<double> random_values(std::size_t count, double low, double high, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> values(count);
  for (double& v : values) v = dist(engine);
  return values;
}

// The scheme written out plainly over a (nx+2)(ny+2)(nz+2) array with fixed halo values, in the
// grouping the header documents: c + r * ((xm + xp) + (ym + yp) + (zm + zp) - 6c).
class ReferenceBlock {
 public:
  ReferenceBlock(const Extent3& n, double r)
      : n_(n), r_(r), u_((n.nx + 2) * (n.ny + 2) * (n.nz + 2), 0.0) {}

  double& at(std::size_t i, std::size_t j, std::size_t k) {
    return u_[(i * (n_.ny + 2) + j) * (n_.nz + 2) + k];
  }

  void set_interior(const std::vector<double>& values) {
    for (std::size_t i = 1; i <= n_.nx; ++i)
      for (std::size_t j = 1; j <= n_.ny; ++j)
        for (std::size_t k = 1; k <= n_.nz; ++k) at(i, j, k) = values[packed(n_, i, j, k)];
  }

  void set_boundary(Face face, double value) {
    for (std::size_t i = 0; i < n_.nx + 2; ++i)
      for (std::size_t j = 0; j < n_.ny + 2; ++j)
        for (std::size_t k = 0; k < n_.nz + 2; ++k) {
          const bool on =
              (face == Face::x_low && i == 0) || (face == Face::x_high && i == n_.nx + 1) ||
              (face == Face::y_low && j == 0) || (face == Face::y_high && j == n_.ny + 1) ||
              (face == Face::z_low && k == 0) || (face == Face::z_high && k == n_.nz + 1);
          if (on) at(i, j, k) = value;
        }
  }

  void step() {
    ReferenceBlock next = *this;
    for (std::size_t i = 1; i <= n_.nx; ++i)
      for (std::size_t j = 1; j <= n_.ny; ++j)
        for (std::size_t k = 1; k <= n_.nz; ++k) {
          const double c = at(i, j, k);
          next.at(i, j, k) =
              c + r_ * ((at(i - 1, j, k) + at(i + 1, j, k)) + (at(i, j - 1, k) + at(i, j + 1, k)) +
                        (at(i, j, k - 1) + at(i, j, k + 1)) - 6.0 * c);
        }
    *this = next;
  }

  std::vector<double> interior() {
    std::vector<double> values(n_.points());
    for (std::size_t i = 1; i <= n_.nx; ++i)
      for (std::size_t j = 1; j <= n_.ny; ++j)
        for (std::size_t k = 1; k <= n_.nz; ++k) values[packed(n_, i, j, k)] = at(i, j, k);
    return values;
  }

 private:
  Extent3 n_;
  double r_;
  std::vector<double> u_;
};

std::vector<double> interior_of(const HeatStencil& stencil) {
  std::vector<double> values(stencil.params().interior.points());
  stencil.get_interior(values);
  return values;
}

// sin(pi x/Lx) sin(pi y/Ly) sin(pi z/Lz) at the interior points, with x = i h for storage index
// i = 0..nx+1, so that L = (n+1) h and the halo (i = 0, n+1) is where the mode is zero.
std::vector<double> sine_mode(const Extent3& n) {
  std::vector<double> values(n.points());
  const double pi = std::numbers::pi;
  for (std::size_t i = 1; i <= n.nx; ++i)
    for (std::size_t j = 1; j <= n.ny; ++j)
      for (std::size_t k = 1; k <= n.nz; ++k) {
        values[packed(n, i, j, k)] = std::sin(pi * double(i) / double(n.nx + 1)) *
                                     std::sin(pi * double(j) / double(n.ny + 1)) *
                                     std::sin(pi * double(k) / double(n.nz + 1));
      }
  return values;
}

// A non-cubic block, so that a swapped axis or stride changes the answer.
HeatParams sine_problem() {
  HeatParams params;
  params.interior = {31, 23, 15};
  params.h = 1.0 / 32.0;  // Lx = 1, Ly = 0.75, Lz = 0.5
  params.alpha = 1.0;
  params.dt = 0.15 * params.h * params.h / params.alpha;  // r = 0.15
  return params;
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

int omp_num_threads_from_environment() {
  const char* text = std::getenv("OMP_NUM_THREADS");
  return text != nullptr ? std::atoi(text) : 0;
}

// --- registry and threads ------------------------------------------------------------------

TEST(KernelRegistry, ListsOpenmpFirstAndRefusesUnknownNames) {
  const std::vector<std::string> names = available_backends();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "openmp");
  try {
    make_backend("cuda");
    FAIL() << "an unknown backend was accepted";
  } catch (const KernelError& error) {
    EXPECT_NE(std::string(error.what()).find("available: openmp"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(make_backend("openmp", -1), KernelError);
}

TEST(KernelRegistry, KokkosIsMadeExactlyWhenBuilt) {
  const std::vector<std::string> names = available_backends();
  if (std::find(names.begin(), names.end(), "kokkos") != names.end()) {
    const auto backend = make_backend("kokkos");
    EXPECT_EQ(backend->name(), "kokkos");
    EXPECT_EQ(backend->version().rfind("Kokkos ", 0), 0u) << backend->version();
  } else {
    try {
      make_backend("kokkos");
      FAIL() << "kokkos was made although it is not built";
    } catch (const KernelError& error) {
      EXPECT_NE(std::string(error.what()).find("not built"), std::string::npos) << error.what();
    }
  }
}

TEST(KernelRuntime, StartsKokkosOnlyOnce) {
  {
    const Runtime second;  // main's Runtime already started whatever there is to start
    EXPECT_FALSE(second.owns_kokkos());
  }
  // ... and the second one's end did not stop it.
  for (const std::string& name : available_backends()) {
    EXPECT_NO_THROW(make_backend(name)->reduce(std::vector<double>{1.0, -2.0})) << name;
  }
}

TEST(OpenmpBackend, RunsOmpNumThreadsUnlessToldOtherwise) {
  const int from_environment = omp_num_threads_from_environment();
  const auto backend = make_backend("openmp");
  if (from_environment > 0) {
    EXPECT_EQ(backend->threads(), from_environment);
  }
  EXPECT_EQ(make_backend("openmp", 3)->threads(), 3);
  backend->set_threads(1);
  EXPECT_EQ(backend->threads(), 1);
  EXPECT_THROW(backend->set_threads(0), KernelError);
}

TEST(OpenmpBackend, StencilResultDoesNotDependOnThreads) {
  const auto backend = make_backend("openmp", 1);
  HeatParams params = sine_problem();
  params.interior = {17, 9, 33};
  const auto initial = random_values(params.interior.points(), -1.0, 1.0, 7);
  const auto stencil = backend->make_heat_stencil(params);
  stencil->set_interior(initial);
  stencil->step(5);
  const auto one_thread = interior_of(*stencil);
  backend->set_threads(3);  // reaches the stencil made before
  stencil->set_interior(initial);
  stencil->step(5);
  EXPECT_EQ(interior_of(*stencil), one_thread);
}

// --- every backend -------------------------------------------------------------------------

class EveryBackend : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(GetParam());
};

INSTANTIATE_TEST_SUITE_P(Kernels, EveryBackend, ::testing::ValuesIn(available_backends()),
                         [](const auto& backend) { return backend.param; });

TEST_P(EveryBackend, ReportsItsThreadsAndKeepsThem) {
  EXPECT_EQ(backend_->name(), GetParam());
  EXPECT_GE(backend_->threads(), 1);
  EXPECT_NO_THROW(backend_->set_threads(backend_->threads()));
  EXPECT_THROW(backend_->set_threads(0), KernelError);
}

// The discrete scheme maps the mode to g times itself each step, exactly:
// g = 1 - 4 r (sin^2(pi h/(2 Lx)) + sin^2(pi h/(2 Ly)) + sin^2(pi h/(2 Lz))).
// Tolerance: one step's rounding is at most ~12 eps of the unit amplitude, and the scheme
// (a convex combination of neighbours for r <= 1/6) cannot amplify earlier errors, so after n
// steps every point is within 16 n eps of g^n times its start.
TEST_P(EveryBackend, SineModeDecaysByTheDiscreteFactor) {
  const HeatParams params = sine_problem();
  const Extent3& n = params.interior;
  const double r = diffusion_number(params);
  const auto s = [](std::size_t points) {
    const double v = std::sin(std::numbers::pi / (2.0 * double(points + 1)));
    return v * v;
  };
  const double g = 1.0 - 4.0 * r * (s(n.nx) + s(n.ny) + s(n.nz));
  const int steps = 100;

  const auto stencil = backend_->make_heat_stencil(params);
  const auto initial = sine_mode(n);
  stencil->set_interior(initial);
  stencil->step(steps);
  const auto final = interior_of(*stencil);

  const double decay = std::pow(g, steps);
  ASSERT_LT(decay, 0.5);  // the mode really decayed
  std::vector<double> expected(initial.size());
  for (std::size_t p = 0; p < initial.size(); ++p) expected[p] = decay * initial[p];
  EXPECT_LE(largest_difference(final, expected), 16.0 * steps * kEps);
}

// The PDE's own solution decays as exp(-alpha pi^2 (1/Lx^2 + 1/Ly^2 + 1/Lz^2) t). The scheme
// differs by O(h^2) in space ((pi h/L)^2/12, at most 3e-3 here) and O(dt) in time
// (lambda dt / 2, 5e-3 here) in the decay rate, so after about one e-folding the amplitude is
// within ~0.5% of it: 1% is the loose bound.
TEST_P(EveryBackend, SineModeFollowsTheContinuousDecay) {
  const HeatParams params = sine_problem();
  const Extent3& n = params.interior;
  const double lx = double(n.nx + 1) * params.h, ly = double(n.ny + 1) * params.h;
  const double lz = double(n.nz + 1) * params.h;
  const double pi = std::numbers::pi;
  const double rate = params.alpha * pi * pi * (1 / (lx * lx) + 1 / (ly * ly) + 1 / (lz * lz));
  const int steps = static_cast<int>(std::lround(1.0 / (rate * params.dt)));

  const auto stencil = backend_->make_heat_stencil(params);
  const auto initial = sine_mode(n);
  stencil->set_interior(initial);
  stencil->step(steps);
  const auto final = interior_of(*stencil);

  // Amplitude by least squares against the initial mode.
  double dot = 0.0, norm = 0.0;
  for (std::size_t p = 0; p < initial.size(); ++p) {
    dot += final[p] * initial[p];
    norm += initial[p] * initial[p];
  }
  const double expected = std::exp(-rate * steps * params.dt);
  EXPECT_NEAR(dot / norm, expected, 0.01 * expected);
}

TEST_P(EveryBackend, RefusesAnUnstableTimeStep) {
  HeatParams params = sine_problem();
  params.dt = max_stable_dt(params.alpha, params.h);
  EXPECT_NO_THROW(backend_->make_heat_stencil(params));  // r = 1/6 exactly is stable
  params.dt *= 1.02;                                     // r = 0.17
  try {
    backend_->make_heat_stencil(params);
    FAIL() << "r = 0.17 was accepted";
  } catch (const KernelError& error) {
    EXPECT_NE(std::string(error.what()).find("exceeds 1/6"), std::string::npos) << error.what();
  }
  params.dt = 0.0;
  EXPECT_THROW(backend_->make_heat_stencil(params), KernelError);
  params = sine_problem();
  params.interior.ny = 0;
  EXPECT_THROW(backend_->make_heat_stencil(params), KernelError);
}

TEST_P(EveryBackend, MatchesTheScalarReferenceWithFixedBoundaries) {
  HeatParams params = sine_problem();
  params.interior = {6, 5, 7};
  const Extent3& n = params.interior;
  const auto initial = random_values(n.points(), -1.0, 1.0, 11);
  const auto stencil = backend_->make_heat_stencil(params);
  ReferenceBlock reference(n, diffusion_number(params));
  stencil->set_interior(initial);
  reference.set_interior(initial);
  for (Face face : kFaces) {
    const double value = 0.25 * (static_cast<int>(face) + 1);
    stencil->set_boundary(face, value);
    reference.set_boundary(face, value);
  }
  for (int s = 0; s < 5; ++s) reference.step();
  stencil->step(3);  // boundaries hold in both buffers, across swaps and calls
  stencil->step(2);
  EXPECT_EQ(interior_of(*stencil), reference.interior());
}

TEST_P(EveryBackend, PacksFacesInTheDocumentedOrder) {
  HeatParams params = sine_problem();
  params.interior = {3, 4, 5};
  const Extent3& n = params.interior;
  const auto code = [](std::size_t i, std::size_t j, std::size_t k) {
    return double(10000 * i + 100 * j + k);
  };
  std::vector<double> values(n.points());
  for (std::size_t i = 1; i <= n.nx; ++i)
    for (std::size_t j = 1; j <= n.ny; ++j)
      for (std::size_t k = 1; k <= n.nz; ++k) values[packed(n, i, j, k)] = code(i, j, k);
  const auto stencil = backend_->make_heat_stencil(params);
  stencil->set_interior(values);

  for (Face face : kFaces) {
    std::vector<double> expected;
    switch (face) {
      case Face::x_low:
      case Face::x_high:
        for (std::size_t j = 1; j <= n.ny; ++j)
          for (std::size_t k = 1; k <= n.nz; ++k)
            expected.push_back(code(face == Face::x_low ? 1 : n.nx, j, k));
        break;
      case Face::y_low:
      case Face::y_high:
        for (std::size_t i = 1; i <= n.nx; ++i)
          for (std::size_t k = 1; k <= n.nz; ++k)
            expected.push_back(code(i, face == Face::y_low ? 1 : n.ny, k));
        break;
      case Face::z_low:
      case Face::z_high:
        for (std::size_t i = 1; i <= n.nx; ++i)
          for (std::size_t j = 1; j <= n.ny; ++j)
            expected.push_back(code(i, j, face == Face::z_low ? 1 : n.nz));
        break;
    }
    ASSERT_EQ(face_points(n, face), expected.size());
    std::vector<double> out(face_points(n, face));
    stencil->pack_face(face, out);
    EXPECT_EQ(out, expected) << face_name(face);
  }
  std::vector<double> wrong(face_points(n, Face::x_low) + 1);
  EXPECT_THROW(stencil->pack_face(Face::x_low, wrong), KernelError);
  EXPECT_THROW(stencil->unpack_halo(Face::x_low, wrong), KernelError);
  EXPECT_THROW(stencil->set_interior(wrong), KernelError);
}

// A halo value v next to a zero interior becomes r v in the adjacent interior point after one
// step (exactly: every other term is zero), which pins down where each buffer value lands.
TEST_P(EveryBackend, UnpackedHaloFeedsTheNextStep) {
  HeatParams params = sine_problem();
  params.interior = {3, 4, 5};
  const Extent3& n = params.interior;
  const double r = diffusion_number(params);
  for (Face face : kFaces) {
    const auto stencil = backend_->make_heat_stencil(params);
    std::vector<double> halo(face_points(n, face));
    for (std::size_t b = 0; b < halo.size(); ++b) halo[b] = 1.0 + double(b);
    stencil->unpack_halo(face, halo);
    stencil->step();
    const auto after = interior_of(*stencil);

    std::vector<double> expected(n.points(), 0.0);
    std::size_t b = 0;
    switch (face) {
      case Face::x_low:
      case Face::x_high:
        for (std::size_t j = 1; j <= n.ny; ++j)
          for (std::size_t k = 1; k <= n.nz; ++k)
            expected[packed(n, face == Face::x_low ? 1 : n.nx, j, k)] = r * halo[b++];
        break;
      case Face::y_low:
      case Face::y_high:
        for (std::size_t i = 1; i <= n.nx; ++i)
          for (std::size_t k = 1; k <= n.nz; ++k)
            expected[packed(n, i, face == Face::y_low ? 1 : n.ny, k)] = r * halo[b++];
        break;
      case Face::z_low:
      case Face::z_high:
        for (std::size_t i = 1; i <= n.nx; ++i)
          for (std::size_t j = 1; j <= n.ny; ++j)
            expected[packed(n, i, j, face == Face::z_low ? 1 : n.nz)] = r * halo[b++];
        break;
    }
    EXPECT_EQ(after, expected) << face_name(face);
  }
}

TEST(HaloLayout, OppositeFacesPair) {
  EXPECT_EQ(opposite(Face::x_low), Face::x_high);
  EXPECT_EQ(opposite(Face::y_high), Face::y_low);
  EXPECT_EQ(opposite(Face::z_low), Face::z_high);
  EXPECT_EQ(face_points({2, 3, 4}, Face::y_low), 8u);
}

// Every value goes through the same float32 operations as pre_process_3ch (IEEE division is
// exactly rounded and nothing is contracted), so the result must equal this plain loop exactly.
template <class T>
std::vector<float> reference_normalize(const std::vector<T>& hwc, const ImageDims& d) {
  std::vector<float> nchw(d.values());
  for (std::size_t n = 0; n < d.batch; ++n)
    for (std::size_t y = 0; y < d.height; ++y)
      for (std::size_t x = 0; x < d.width; ++x)
        for (std::size_t c = 0; c < 3; ++c) {
          const float value = static_cast<float>(hwc[((n * d.height + y) * d.width + x) * 3 + c]);
          nchw[((n * 3 + c) * d.height + y) * d.width + x] =
              (value / 255.0f - kImagenetMean[c]) / kImagenetStd[c];
        }
  return nchw;
}

TEST_P(EveryBackend, NormalizesBytesLikePreProcess3ch) {
  const ImageDims dims{2, 224, 224, 3};
  std::vector<std::uint8_t> hwc(dims.values());
  std::mt19937 engine(3);
  for (auto& v : hwc) v = static_cast<std::uint8_t>(engine() % 256);
  // Known pixels at (n=1, y=2, x=3): 0, 128 and 255 in R, G, B.
  const std::size_t pixel = ((1 * dims.height + 2) * dims.width + 3) * 3;
  hwc[pixel] = 0;
  hwc[pixel + 1] = 128;
  hwc[pixel + 2] = 255;

  std::vector<float> nchw(dims.values());
  backend_->normalize_images(std::span<const std::uint8_t>(hwc), dims, nchw);
  EXPECT_EQ(nchw, reference_normalize(hwc, dims));

  const auto at = [&](std::size_t c) {
    return nchw[((1 * 3 + c) * dims.height + 2) * dims.width + 3];
  };
  // (0/255 - 0.485)/0.229, (128/255 - 0.456)/0.224, (1 - 0.406)/0.225 in exact arithmetic; the
  // float32 result is within a few float ulps (1e-6 at these magnitudes).
  EXPECT_NEAR(at(0), -2.1179039301310043, 1e-6);
  EXPECT_NEAR(at(1), 0.20518207282913153, 1e-6);
  EXPECT_NEAR(at(2), 2.64, 1e-6);
}

TEST_P(EveryBackend, NormalizesFloatsLikePreProcess3ch) {
  const ImageDims dims{3, 5, 7, 3};
  std::vector<float> hwc(dims.values());
  std::mt19937 engine(5);
  std::uniform_real_distribution<float> dist(0.0f, 255.0f);
  for (auto& v : hwc) v = dist(engine);
  hwc[1] = 37.5f;  // (n, y, x, c) = (0, 0, 0, 1)
  std::vector<float> nchw(dims.values());
  backend_->normalize_images(std::span<const float>(hwc), dims, nchw);
  EXPECT_EQ(nchw, reference_normalize(hwc, dims));
  EXPECT_NEAR(nchw[dims.height * dims.width], -1.3792016806722691, 1e-6);
}

TEST_P(EveryBackend, RefusesMismatchedImages) {
  ImageDims dims{1, 4, 4, 3};
  std::vector<float> in(dims.values()), out(dims.values() - 1);
  EXPECT_THROW(backend_->normalize_images(std::span<const float>(in), dims, out), KernelError);
  dims.channels = 4;
  std::vector<float> in4(dims.values()), out4(dims.values());
  EXPECT_THROW(backend_->normalize_images(std::span<const float>(in4), dims, out4), KernelError);
}

// Any summation order of n doubles is within (n-1) u sum|x| of the exact sum (Higham, with
// u = eps/2); n eps sum|x| bounds it for every backend and thread count. The long double
// reference is 2^11 times more accurate. Max is order-independent, so exact.
void expect_stats_match(const FieldStats& got, const std::vector<double>& values) {
  long double sum = 0, sum_abs = 0, sum_squares = 0;
  double max_abs = 0;
  for (double v : values) {
    sum += v;
    sum_abs += std::abs(v);
    sum_squares += static_cast<long double>(v) * v;
    max_abs = std::max(max_abs, std::abs(v));
  }
  const double n = double(values.size());
  EXPECT_EQ(got.count, values.size());
  EXPECT_NEAR(got.sum, double(sum), n * kEps * double(sum_abs));
  EXPECT_NEAR(got.sum_squares, double(sum_squares), n * kEps * double(sum_squares));
  EXPECT_EQ(got.max_abs, max_abs);
  EXPECT_NEAR(got.l2_norm(), std::sqrt(double(sum_squares)),
              n * kEps * std::sqrt(double(sum_squares)));
}

TEST_P(EveryBackend, ReducesLikeLongDouble) {
  auto values = random_values(1'000'003, -1.0, 3.0, 13);
  values[777] = -5.5;  // the largest magnitude is negative
  expect_stats_match(backend_->reduce(values), values);
  expect_stats_match(backend_->reduce(std::span<const double>(values).first(5)),
                     std::vector<double>(values.begin(), values.begin() + 5));
  const FieldStats none = backend_->reduce({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.sum, 0.0);
  EXPECT_EQ(none.max_abs, 0.0);
}

TEST_P(EveryBackend, StencilStatsCoverTheInteriorOnly) {
  HeatParams params = sine_problem();
  params.interior = {9, 8, 33};
  const auto values = random_values(params.interior.points(), -2.0, 1.0, 17);
  const auto stencil = backend_->make_heat_stencil(params);
  stencil->set_interior(values);
  for (Face face : kFaces) stencil->set_boundary(face, 100.0);  // must not be counted
  expect_stats_match(stencil->stats(), values);
}

// --- the backends agree --------------------------------------------------------------------

// Both backends call the same heat_update, normalize_value and comparison (kernels/impl/
// point_ops.hpp) in the same order, compiled by the same compiler without FMA contraction
// (ISO C++ mode): on a host execution space stencil, normalisation, packing and max are bitwise
// equal. Sums are reassociated differently (OpenMP vectorises and splits by thread), so they
// agree within the n*eps bound above. A device build (CUDA contracts to FMA) gets 1e-12.
TEST(BackendsAgree, OnEveryKernel) {
  const auto names = available_backends();
  if (std::find(names.begin(), names.end(), "kokkos") == names.end()) {
    GTEST_SKIP() << "the kokkos backend is not built here";
  }
  const auto openmp = make_backend("openmp");
  const auto kokkos = make_backend("kokkos");
  const std::string space = kokkos->execution_space();
  const bool host = space == "Serial" || space == "OpenMP" || space == "Threads";
  const auto expect_agree = [&](const auto& a, const auto& b) {
    if (host) {
      EXPECT_EQ(a, b);
    } else {
      for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::abs(a[i])));
    }
  };

  HeatParams params = sine_problem();
  params.interior = {20, 13, 37};
  const Extent3& n = params.interior;
  const auto initial = random_values(n.points(), -1.0, 1.0, 19);
  const auto halo = random_values(face_points(n, Face::y_high), 0.0, 2.0, 23);
  std::vector<std::vector<double>> results[2];
  FieldStats stats[2];
  for (int b = 0; b < 2; ++b) {
    const auto stencil = (b == 0 ? openmp : kokkos)->make_heat_stencil(params);
    stencil->set_interior(initial);
    stencil->set_boundary(Face::x_low, 1.0);
    stencil->set_boundary(Face::z_high, -0.5);
    stencil->unpack_halo(Face::y_high, halo);
    stencil->step(10);
    results[b].push_back(interior_of(*stencil));
    for (Face face : kFaces) {
      std::vector<double> out(face_points(n, face));
      stencil->pack_face(face, out);
      results[b].push_back(out);
    }
    stats[b] = stencil->stats();
  }
  for (std::size_t i = 0; i < results[0].size(); ++i) expect_agree(results[0][i], results[1][i]);
  expect_stats_match(stats[1], results[0][0]);
  EXPECT_EQ(stats[0].max_abs, stats[1].max_abs);

  const ImageDims dims{2, 31, 17, 3};
  std::vector<std::uint8_t> bytes(dims.values());
  std::mt19937 engine(29);
  for (auto& v : bytes) v = static_cast<std::uint8_t>(engine() % 256);
  std::vector<float> from_openmp(dims.values()), from_kokkos(dims.values());
  openmp->normalize_images(std::span<const std::uint8_t>(bytes), dims, from_openmp);
  kokkos->normalize_images(std::span<const std::uint8_t>(bytes), dims, from_kokkos);
  expect_agree(from_openmp, from_kokkos);

  const auto field = random_values(300'007, -1.0, 1.0, 31);
  const FieldStats a = openmp->reduce(field), b = kokkos->reduce(field);
  EXPECT_EQ(a.max_abs, b.max_abs);
  expect_stats_match(a, field);
  expect_stats_match(b, field);
}

}  // namespace
