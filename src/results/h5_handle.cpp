// HDF5 error stacks as exceptions, and closing identifiers by their type.
#include "results/h5_handle.hpp"

#include <string>

#include "core/error.hpp"

namespace scalestudy::results::detail {
namespace {

struct Closer {
  herr_t (*close)(hid_t) = nullptr;
  const char* name = "";
};

Closer closer_for(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      return {H5Fclose, "H5Fclose"};
    case H5I_GROUP:
      return {H5Gclose, "H5Gclose"};
    case H5I_DATATYPE:
      return {H5Tclose, "H5Tclose"};
    case H5I_DATASPACE:
      return {H5Sclose, "H5Sclose"};
    case H5I_DATASET:
      return {H5Dclose, "H5Dclose"};
    case H5I_ATTR:
      return {H5Aclose, "H5Aclose"};
    case H5I_GENPROP_LST:
      return {H5Pclose, "H5Pclose"};
    case H5I_ERROR_STACK:
      return {H5Eclose_stack, "H5Eclose_stack"};
    case H5I_BADID:
      return {};
    default:
      return {[](hid_t other) -> herr_t { return H5Idec_ref(other) < 0 ? -1 : 0; }, "H5Idec_ref"};
  }
}

std::string message_text(hid_t message_id) {
  char text[256] = "";
  if (H5Eget_msg(message_id, nullptr, text, sizeof text) < 0) return "?";
  return text;
}

// Called by H5Ewalk2 from C: must not throw.
herr_t append_entry(unsigned n, const H5E_error2_t* entry, void* data) noexcept {
  try {
    auto& text = *static_cast<std::string*>(data);
    std::string number = std::to_string(n);
    if (number.size() < 3) number.insert(0, 3 - number.size(), '0');
    text += "\n  #" + number + " " + (entry->func_name ? entry->func_name : "?") +
            "(): " + (entry->desc ? entry->desc : "") + " [" + message_text(entry->maj_num) + ": " +
            message_text(entry->min_num) + "] (" + (entry->file_name ? entry->file_name : "?") +
            ":" + std::to_string(entry->line) + ")";
    return 0;
  } catch (...) {
    return -1;
  }
}

}  // namespace

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string take_hdf5_error_stack() {
  // Copies and clears the thread's stack, so later failures do not repeat these entries.
  const hid_t stack = H5Eget_current_stack();
  if (stack < 0) return "\n  (the HDF5 error stack could not be read)";
  std::string text;
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, append_entry, &text);
  H5Eclose_stack(stack);
  return text;
}

void throw_hdf5_error(std::string_view call, std::string_view object) {
  std::string message = "HDF5 call " + std::string(call) + " failed";
  if (!object.empty()) message += " on '" + std::string(object) + "'";
  const std::string stack = take_hdf5_error_stack();
  message += stack.empty() ? std::string(" (HDF5 reported no error stack)")
                           : ", HDF5 error stack:" + stack;
  throw ResultsError(message);
}

void H5Handle::reset(hid_t id) noexcept {
  if (id_ >= 0) {
    const Closer closer = closer_for(id_);
    if (closer.close == nullptr || closer.close(id_) < 0) H5Eclear2(H5E_DEFAULT);
  }
  id_ = id;
}

void H5Handle::close() {
  if (id_ < 0) return;
  const hid_t id = release();
  const Closer closer = closer_for(id);
  if (closer.close == nullptr) throw_hdf5_error("H5Iget_type", "an identifier being closed");
  h5_check(closer.close(id), closer.name);
}

}  // namespace scalestudy::results::detail
