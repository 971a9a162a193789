// Shared HDF5 vocabulary of scalestudy files: the bool and text types, typed attributes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "results/h5_handle.hpp"
#include "results/point_writer.hpp"

namespace scalestudy::results::detail {

/// The datatypes scalestudy writes besides the native numbers.
struct Types {
  H5Handle boolean;  ///< enum over int8 {FALSE = 0, TRUE = 1}: what h5py reads as numpy.bool_
  H5Handle text;     ///< variable-length UTF-8 string
};

Types make_types();

/// Writes a scalar attribute: int64, float64, bool (the enum) or variable-length UTF-8 text.
/// Collective when `object` belongs to a file opened with MPI-IO. Throws ResultsError.
void write_attribute(hid_t object, std::string_view object_path, const std::string& name,
                     const core::ParamValue& value, const Types& types);

/// Reads every scalar attribute of `object` that has one of the types write_attribute writes
/// (integers of any width as int64, floats as double, 2-member int8 enums as bool, strings).
/// Throws ResultsError naming an attribute of another type.
std::vector<Attribute> read_attributes(hid_t object, std::string_view object_path);

/// Creates a 1-D dataset of variable-length UTF-8 strings holding `values`.
void write_text_column(hid_t group, const std::string& name, const std::vector<std::string>& values,
                       const Types& types, std::string_view label);

/// Reads a 1-D string dataset (variable- or fixed-length).
std::vector<std::string> read_text_column(hid_t group, const std::string& name,
                                          std::string_view label);

}  // namespace scalestudy::results::detail
