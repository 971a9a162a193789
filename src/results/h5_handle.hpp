// Checked HDF5 C API calls: an owning hid_t handle and negative-return-to-ResultsError checks.
#pragma once

// Only src/results/*.cpp (and tests that read files back) include this header, so hdf5.h stays
// out of every public header.
#include <hdf5.h>

#include <concepts>
#include <string>
#include <string_view>

namespace scalestudy::results::detail {

/// Turns off HDF5's automatic error printing, so no "HDF5-DIAG" text is ever printed: errors
/// reach the caller as ResultsError (via h5_check) instead. Cheap; call it before using HDF5.
void silence_hdf5_errors();

/// The current HDF5 error stack as text, one "#nnn func(): message [major: minor] (file:line)"
/// entry per line from the API call down to the root cause, and clears the stack. "" if empty.
std::string take_hdf5_error_stack();

/// Throws ResultsError("HDF5 call <call> failed[ on <object>]: <error stack>").
[[noreturn]] void throw_hdf5_error(std::string_view call, std::string_view object = {});

/// Returns `rc` unless it is negative (HDF5's failure convention for herr_t, hid_t, htri_t and
/// ssize_t); then throws ResultsError naming `call` (e.g. "H5Dcreate2"), the `object` it worked
/// on (e.g. "/timings/put") and the HDF5 error stack.
template <std::signed_integral T>
T h5_check(T rc, std::string_view call, std::string_view object = {}) {
  if (rc < 0) [[unlikely]] {
    throw_hdf5_error(call, object);
  }
  return rc;
}

/// Owns one HDF5 identifier (file, group, dataset, attribute, dataspace, datatype, property
/// list, ...) and closes it with the matching H5*close, chosen by H5Iget_type. Move-only.
/// Never wrap library constants such as H5T_NATIVE_INT64 or H5P_DEFAULT.
class H5Handle {
 public:
  H5Handle() = default;

  /// Takes ownership of `id`, which must be valid (check it first, or use `checked`).
  explicit H5Handle(hid_t id) noexcept : id_(id) {}

  /// Checks `id` with h5_check(id, call, object) and takes ownership of it. Throws ResultsError.
  static H5Handle checked(hid_t id, std::string_view call, std::string_view object = {}) {
    return H5Handle(h5_check(id, call, object));
  }

  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& other) noexcept : id_(other.release()) {}
  H5Handle& operator=(H5Handle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }

  /// Closes the identifier, ignoring (and clearing) any HDF5 error: use close() where a
  /// failure matters, e.g. for files, whose close flushes data.
  ~H5Handle() { reset(); }

  /// The identifier, or H5I_INVALID_HID when empty.
  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing and returns the identifier.
  hid_t release() noexcept {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

  /// Closes the current identifier (errors ignored) and takes ownership of `id`.
  void reset(hid_t id = H5I_INVALID_HID) noexcept;

  /// Closes the identifier now. Throws ResultsError naming the close call if it fails; the
  /// handle is empty afterwards either way. No-op when empty.
  void close();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

}  // namespace scalestudy::results::detail
