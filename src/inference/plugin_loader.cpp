// Finding and loading libscalestudy_torch.so (no torch here: this is built into the programs).
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inference/plugin.hpp"

namespace scalestudy::inference {
namespace {

std::string program_directory() {
  std::vector<char> path(PATH_MAX + 1, '\0');
  const ssize_t length = readlink("/proc/self/exe", path.data(), PATH_MAX);
  if (length <= 0) return "";
  std::string program(path.data(), static_cast<std::size_t>(length));
  return program.substr(0, program.rfind('/'));
}

const TorchPlugin* load() {
  std::vector<std::string> tried;
  if (const char* chosen = std::getenv("SCALESTUDY_TORCH_PLUGIN"); chosen && *chosen) {
    tried.emplace_back(chosen);
  } else {
    tried.push_back(program_directory() + "/" + kTorchPluginFile);
#ifdef SCALESTUDY_TORCH_PLUGIN_PATH
    tried.emplace_back(SCALESTUDY_TORCH_PLUGIN_PATH);
#endif
  }
  for (const auto& path : tried) {
    if (access(path.c_str(), R_OK) != 0) continue;
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
  std::string list;
  for (const auto& path : tried) list += (list.empty() ? "" : ", ") + path;
  throw WorkloadError("this scalestudy was built with libtorch, but its plugin is missing (tried " +
                      list + "); rebuild with scripts/setup, or set SCALESTUDY_TORCH_PLUGIN");
}

}  // namespace

const TorchPlugin& torch_plugin() {
  static const TorchPlugin* const plugin = load();
  return *plugin;
}

}  // namespace scalestudy::inference
