// Image normalisation: uint8 or float32 HWC batches to ImageNet-normalised float32 NCHW.
#pragma once

#include <array>
#include <cstddef>

namespace scalestudy::kernels {

/// A batch of images stored HWC (channels last): value (n, y, x, c) is at ((n*H + y)*W + x)*C + c.
/// The normalised output is NCHW: value (n, c, y, x) at ((n*C + c)*H + y)*W + x.
struct ImageDims {
  std::size_t batch = 1;
  std::size_t height = 224;
  std::size_t width = 224;
  std::size_t channels = 3;  ///< only 3 (RGB) is supported, as in SmartSim's pre_process_3ch

  /// Values in the batch (the same for input and output).
  std::size_t values() const { return batch * height * width * channels; }
};

/// ImageNet channel means and standard deviations, as float32 like the TorchScript tensors.
inline constexpr std::array<float, 3> kImagenetMean = {0.485f, 0.456f, 0.406f};
inline constexpr std::array<float, 3> kImagenetStd = {0.229f, 0.224f, 0.225f};

}  // namespace scalestudy::kernels
