// Finding the plugin and the models relative to libscalestudy_files.so, with dladdr.
#include "core/package_files.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

namespace scalestudy::core {
namespace {

namespace fs = std::filesystem;

/// The value of environment variable `name`, or "" when unset or empty.
std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

std::string package_library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&package_library_directory), &info) == 0 ||
      info.dli_fname == nullptr) {
    return "";
  }
  std::error_code error;
  const fs::path library = fs::weakly_canonical(fs::path(info.dli_fname), error);
  return (error ? fs::path(info.dli_fname) : library).parent_path().string();
}

std::string torch_plugin_path() {
  if (std::string chosen = environment("SCALESTUDY_TORCH_PLUGIN"); !chosen.empty()) return chosen;
  return (fs::path(package_library_directory()) / "libscalestudy_torch.so").string();
}

std::string models_directory() {
  if (std::string chosen = environment("SCALESTUDY_MODELS_DIR"); !chosen.empty()) return chosen;
  const fs::path library = package_library_directory();
  std::error_code error;
  if (fs::is_directory(library / "models", error)) return (library / "models").string();
  return (library.parent_path() / "share" / "scalestudy" / "models").string();
}

}  // namespace scalestudy::core
