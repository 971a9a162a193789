// Loading libscalestudy_torch.so (no torch here: this is built into the programs).
#include <dlfcn.h>
#include <unistd.h>

#include <string>

#include "core/error.hpp"
#include "core/package_files.hpp"
#include "inference/plugin.hpp"

namespace scalestudy::inference {
namespace {

const TorchPlugin* load() {
  const std::string path = core::torch_plugin_path();
  if (access(path.c_str(), R_OK) != 0) {
    throw WorkloadError(
        "this scalestudy was built with libtorch, but its plugin is missing (tried " + path +
        "); rebuild with scripts/setup, or set SCALESTUDY_TORCH_PLUGIN");
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
  if (handle == nullptr) {
    throw WorkloadError("cannot load the libtorch plugin " + path + ": " + dlerror() +
                        " (rebuild with scripts/setup)");
  }
  using Entry = const TorchPlugin* (*)();
  const auto entry = reinterpret_cast<Entry>(dlsym(handle, kTorchPluginEntry));
  const TorchPlugin* plugin = entry != nullptr ? entry() : nullptr;
  if (plugin == nullptr || plugin->version != kTorchPluginVersion) {
    throw WorkloadError("the libtorch plugin " + path +
                        " is not the one this program was built with (rebuild with "
                        "scripts/setup)");
  }
  return plugin;
}

}  // namespace

const TorchPlugin& torch_plugin() {
  static const TorchPlugin* const plugin = load();
  return *plugin;
}

}  // namespace scalestudy::inference
