// Test helper shared by the unit and MPI tests: the message of the StoreError a call throws.
#pragma once

#include <functional>
#include <string>

#include "core/error.hpp"

namespace scalestudy::testing {

/// The message of the StoreError that `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StoreError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace scalestudy::testing
