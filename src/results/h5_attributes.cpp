// Typed attributes and string columns, shared by the point writer, the point reader and the
// study index.
#include "results/h5_attributes.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <variant>

#include "core/error.hpp"

namespace scalestudy::results::detail {

Types make_types() {
  Types types;
  types.boolean = H5Handle::checked(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create");
  const std::int8_t no = 0;
  const std::int8_t yes = 1;
  h5_check(H5Tenum_insert(types.boolean.get(), "FALSE", &no), "H5Tenum_insert", "FALSE");
  h5_check(H5Tenum_insert(types.boolean.get(), "TRUE", &yes), "H5Tenum_insert", "TRUE");
  types.text = H5Handle::checked(H5Tcopy(H5T_C_S1), "H5Tcopy", "H5T_C_S1");
  h5_check(H5Tset_size(types.text.get(), H5T_VARIABLE), "H5Tset_size", "variable-length string");
  h5_check(H5Tset_cset(types.text.get(), H5T_CSET_UTF8), "H5Tset_cset", "UTF-8 string");
  return types;
}

void write_attribute(hid_t object, std::string_view object_path, const std::string& name,
                     const core::ParamValue& value, const Types& types) {
  const std::string label = std::string(object_path) + " attribute '" + name + "'";
  const auto space = H5Handle::checked(H5Screate(H5S_SCALAR), "H5Screate", label);
  auto write = [&](hid_t type, const void* data) {
    const auto attribute = H5Handle::checked(
        H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2",
        label);
    h5_check(H5Awrite(attribute.get(), type, data), "H5Awrite", label);
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          write(H5T_NATIVE_INT64, &v);
        } else if constexpr (std::is_same_v<T, double>) {
          write(H5T_NATIVE_DOUBLE, &v);
        } else if constexpr (std::is_same_v<T, bool>) {
          const std::int8_t flag = v ? 1 : 0;
          write(types.boolean.get(), &flag);
        } else {
          const char* text = v.c_str();  // variable-length strings are written as char*
          write(types.text.get(), &text);
        }
      },
      value);
}

namespace {

core::ParamValue read_attribute_value(hid_t attribute, const std::string& label) {
  const auto type = H5Handle::checked(H5Aget_type(attribute), "H5Aget_type", label);
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: {
      std::int64_t value = 0;
      h5_check(H5Aread(attribute, H5T_NATIVE_INT64, &value), "H5Aread", label);
      return value;
    }
    case H5T_FLOAT: {
      double value = 0;
      h5_check(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value), "H5Aread", label);
      return value;
    }
    case H5T_ENUM: {
      if (H5Tget_nmembers(type.get()) != 2 || H5Tget_size(type.get()) != 1) break;
      std::int8_t value = 0;
      h5_check(H5Aread(attribute, type.get(), &value), "H5Aread", label);
      return value != 0;
    }
    case H5T_STRING: {
      if (H5Tis_variable_str(type.get()) > 0) {
        const Types types = make_types();
        char* text = nullptr;
        h5_check(H5Aread(attribute, types.text.get(), &text), "H5Aread", label);
        std::string value = text != nullptr ? text : "";
        H5free_memory(text);
        return value;
      }
      std::string value(H5Tget_size(type.get()), '\0');
      h5_check(H5Aread(attribute, type.get(), value.data()), "H5Aread", label);
      value.resize(std::strlen(value.c_str()));
      return value;
    }
    default:
      break;
  }
  throw ResultsError(label + " has a type scalestudy does not read (int, float, bool, string)");
}

}  // namespace

std::vector<Attribute> read_attributes(hid_t object, std::string_view object_path) {
  struct Context {
    std::string path;
    std::vector<Attribute> out;
    std::string error;
  } context{std::string(object_path), {}, {}};
  const auto visit = [](hid_t location, const char* name, const H5A_info_t*, void* data) -> herr_t {
    auto& ctx = *static_cast<Context*>(data);
    const std::string label = ctx.path + " attribute '" + name + "'";
    try {
      const auto attribute =
          H5Handle::checked(H5Aopen(location, name, H5P_DEFAULT), "H5Aopen", label);
      ctx.out.push_back({name, read_attribute_value(attribute.get(), label)});
    } catch (const std::exception& error) {
      ctx.error = error.what();
      return -1;
    }
    return 0;
  };
  hsize_t index = 0;
  const herr_t rc = H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, visit, &context);
  if (!context.error.empty()) throw ResultsError(context.error);
  h5_check(rc, "H5Aiterate2", object_path);
  return context.out;
}

void write_text_column(hid_t group, const std::string& name, const std::vector<std::string>& values,
                       const Types& types, std::string_view label) {
  const hsize_t n = values.size();
  const auto space = H5Handle::checked(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", label);
  const auto dataset =
      H5Handle::checked(H5Dcreate2(group, name.c_str(), types.text.get(), space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        "H5Dcreate2", label);
  if (values.empty()) return;
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  h5_check(
      H5Dwrite(dataset.get(), types.text.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
      "H5Dwrite", label);
}

std::vector<std::string> read_text_column(hid_t group, const std::string& name,
                                          std::string_view label) {
  const auto dataset =
      H5Handle::checked(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "H5Dopen2", label);
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space", label);
  const hssize_t n =
      h5_check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", label);
  std::vector<std::string> out(static_cast<std::size_t>(n));
  if (n == 0) return out;
  const auto type = H5Handle::checked(H5Dget_type(dataset.get()), "H5Dget_type", label);
  if (H5Tis_variable_str(type.get()) > 0) {
    const Types types = make_types();
    std::vector<char*> pointers(out.size(), nullptr);
    h5_check(
        H5Dread(dataset.get(), types.text.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
        "H5Dread", label);
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = pointers[i] != nullptr ? pointers[i] : "";
    }
    h5_check(H5Dvlen_reclaim(types.text.get(), space.get(), H5P_DEFAULT, pointers.data()),
             "H5Dvlen_reclaim", label);
    return out;
  }
  const std::size_t width = H5Tget_size(type.get());
  std::vector<char> buffer(width * out.size());
  h5_check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
           "H5Dread", label);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char* start = buffer.data() + i * width;
    out[i] = std::string(start, strnlen(start, width));
  }
  return out;
}

}  // namespace scalestudy::results::detail
