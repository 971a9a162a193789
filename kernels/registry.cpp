// Backends by name, and the argument checks every backend's public calls share.
#include <string>

#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/impl/backends.hpp"

namespace scalestudy::kernels {

namespace {

void check_images(const ImageDims& dims, std::size_t input, std::size_t output) {
  const std::string shape = std::to_string(dims.batch) + "x" + std::to_string(dims.height) + "x" +
                            std::to_string(dims.width) + "x" + std::to_string(dims.channels);
  if (dims.channels != 3) {
    throw KernelError("normalize_images: " + shape + " HWC batch has " +
                      std::to_string(dims.channels) +
                      " channels; only 3 (RGB, ImageNet mean and std) are supported");
  }
  if (input != dims.values() || output != dims.values()) {
    throw KernelError("normalize_images: a " + shape + " batch needs " +
                      std::to_string(dims.values()) + " input and output values; got " +
                      std::to_string(input) + " in and " + std::to_string(output) + " out");
  }
}

std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

void Backend::normalize_images(std::span<const std::uint8_t> hwc, const ImageDims& dims,
                               std::span<float> nchw) {
  check_images(dims, hwc.size(), nchw.size());
  do_normalize(hwc, dims, nchw);
}

void Backend::normalize_images(std::span<const float> hwc, const ImageDims& dims,
                               std::span<float> nchw) {
  check_images(dims, hwc.size(), nchw.size());
  do_normalize(hwc, dims, nchw);
}

FieldStats Backend::reduce(std::span<const double> values) const { return do_reduce(values); }

std::vector<std::string> available_backends() {
  std::vector<std::string> names = {"openmp"};
  if (detail::kokkos_built()) names.emplace_back("kokkos");
  return names;
}

bool needs_runtime(std::string_view name) { return name == "kokkos"; }

std::unique_ptr<Backend> make_backend(std::string_view name, int threads) {
  if (threads < 0) {
    throw KernelError("kernel backend " + std::string(name) + ": " + std::to_string(threads) +
                      " threads; use 1 or more, or 0 for the default");
  }
  if (name == "openmp") return detail::make_openmp_backend(threads);
  if (name == "kokkos") {
    if (!detail::kokkos_built()) {
      throw KernelError(
          "kernel backend 'kokkos' is not built into this binary (Kokkos was not found, or "
          "SCALESTUDY_ENABLE_KOKKOS=OFF); available: " +
          listed(available_backends()));
    }
    return detail::make_kokkos_backend(threads);
  }
  throw KernelError("unknown kernel backend '" + std::string(name) +
                    "'; available: " + listed(available_backends()));
}

}  // namespace scalestudy::kernels
