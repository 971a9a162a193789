// Where this scalestudy's own files are (the libtorch plugin, the TorchScript models), found
// relative to the shared library that holds this code, libscalestudy_files.so: beside it in
// the build tree, under the prefix it was installed to otherwise. Nothing in an installed copy
// points into the build tree, and an installed tree may be moved.
#pragma once

#include <string>

namespace scalestudy::core {

/// The directory libscalestudy_files.so was loaded from ("" if the loader does not say).
std::string package_library_directory();

/// libscalestudy_torch.so: $SCALESTUDY_TORCH_PLUGIN if set, else beside libscalestudy_files.so
/// (build/ in the build tree, <prefix>/lib installed). The path may not exist.
std::string torch_plugin_path();

/// The TorchScript models (resnet50.pt, ..., data_processing_script.txt): $SCALESTUDY_MODELS_DIR
/// if set, else <library directory>/models (the build tree), else
/// <library directory>/../share/scalestudy/models (installed). The directory may not exist.
std::string models_directory();

}  // namespace scalestudy::core
