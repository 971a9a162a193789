// Serial reading of point files.
#include "results/point_reader.hpp"

#include <unistd.h>
#include <algorithm>

#include "core/error.hpp"
#include "results/h5_attributes.hpp"

namespace scalestudy::results {

using detail::h5_check;
using detail::H5Handle;

namespace {

const core::ParamValue* find(const std::vector<Attribute>& list, std::string_view name) {
  for (const auto& attribute : list) {
    if (attribute.name == name) return &attribute.value;
  }
  return nullptr;
}

std::vector<std::string> member_names(hid_t group, const std::string& label) {
  struct Names {
    std::vector<std::string> list;
  } names;
  const auto visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<Names*>(data)->list.emplace_back(name);
    return 0;
  };
  h5_check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names), "H5Literate",
           label);
  return names.list;
}

/// Reads a whole dataset of `type` into `out`, checking its element count.
template <typename T>
std::vector<hsize_t> read_dataset(hid_t group, const std::string& name, hid_t type,
                                  std::vector<T>& out, const std::string& label) {
  const auto dataset =
      H5Handle::checked(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "H5Dopen2", label);
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space", label);
  const int rank =
      h5_check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", label);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  h5_check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr),
           "H5Sget_simple_extent_dims", label);
  std::size_t count = 1;
  for (const hsize_t d : dims) count *= d;
  out.resize(count);
  if (count > 0) {
    h5_check(H5Dread(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread",
             label);
  }
  return dims;
}

/// /ranks into `out`, one element per rank; columns that are absent keep their defaults.
void read_ranks(hid_t file, const std::string& path, std::vector<RankData>& out) {
  const std::string label = path + ":/ranks";
  if (H5Lexists(file, "ranks", H5P_DEFAULT) <= 0) return;
  const auto group = H5Handle::checked(H5Gopen2(file, "ranks", H5P_DEFAULT), "H5Gopen2", label);
  const auto has = [&](const char* name) { return H5Lexists(group.get(), name, H5P_DEFAULT) > 0; };
  std::vector<std::int32_t> node;
  read_dataset(group.get(), "node", H5T_NATIVE_INT32, node, label + "/node");
  out.resize(node.size());
  const auto text = [&](const char* name, std::string RankData::*member) {
    if (!has(name)) return;
    const auto values = detail::read_text_column(group.get(), name, label + "/" + name);
    for (std::size_t r = 0; r < out.size() && r < values.size(); ++r) out[r].*member = values[r];
  };
  text("role", &RankData::role);
  text("hostname", &RankData::hostname);
  text("cpus", &RankData::cpus);
  text("cpus_used", &RankData::cpus_used);
  std::vector<std::int64_t> rss;
  if (has("peak_rss_bytes")) {
    read_dataset(group.get(), "peak_rss_bytes", H5T_NATIVE_INT64, rss, label + "/peak_rss_bytes");
  }
  std::vector<std::int32_t> threads;
  if (has("omp_threads")) {
    read_dataset(group.get(), "omp_threads", H5T_NATIVE_INT32, threads, label + "/omp_threads");
  }
  for (std::size_t r = 0; r < out.size(); ++r) {
    out[r].node = node[r];
    if (r < rss.size()) out[r].peak_rss_bytes = rss[r];
    if (r < threads.size()) out[r].omp_threads = threads[r];
  }
}

/// Every /tables/<name> into `out`.
void read_tables(hid_t file, const std::string& path, std::vector<TableData>& out) {
  if (H5Lexists(file, "tables", H5P_DEFAULT) <= 0) return;
  const std::string label = path + ":/tables";
  const auto tables = H5Handle::checked(H5Gopen2(file, "tables", H5P_DEFAULT), "H5Gopen2", label);
  for (const auto& name : member_names(tables.get(), label)) {
    TableData table;
    table.name = name;
    const std::string table_label = label + "/" + name;
    const auto group =
        H5Handle::checked(H5Gopen2(tables.get(), name.c_str(), H5P_DEFAULT), "H5Gopen2", label);
    for (const auto& column : member_names(group.get(), table_label)) {
      const std::string column_label = table_label + "/" + column;
      const auto dataset = H5Handle::checked(H5Dopen2(group.get(), column.c_str(), H5P_DEFAULT),
                                             "H5Dopen2", column_label);
      const auto type = H5Handle::checked(H5Dget_type(dataset.get()), "H5Dget_type", column_label);
      if (H5Tget_class(type.get()) == H5T_STRING) {
        table.text[column] = detail::read_text_column(group.get(), column, column_label);
      } else {
        read_dataset(group.get(), column, H5T_NATIVE_DOUBLE, table.numbers[column], column_label);
      }
    }
    out.push_back(std::move(table));
  }
}

}  // namespace

const std::vector<double>* TableData::number_column(std::string_view column) const {
  const auto it = numbers.find(column);
  return it == numbers.end() ? nullptr : &it->second;
}

const std::vector<std::string>* TableData::text_column(std::string_view column) const {
  const auto it = text.find(column);
  return it == text.end() ? nullptr : &it->second;
}

const TableData* PointData::table(std::string_view name) const {
  const auto it = std::find_if(tables.begin(), tables.end(),
                               [&](const TableData& table) { return table.name == name; });
  return it == tables.end() ? nullptr : &*it;
}

const core::ParamValue* PointData::parameter(std::string_view name) const {
  return find(parameters, name);
}

const core::ParamValue* PointData::attribute(std::string_view name) const {
  return find(provenance, name);
}

const OperationSamples* PointData::operation(std::string_view name) const {
  const auto it = std::find_if(operations.begin(), operations.end(),
                               [&](const OperationSamples& op) { return op.name == name; });
  return it == operations.end() ? nullptr : &*it;
}

PointData read_point_file(const std::string& path) {
  detail::silence_hdf5_errors();
  if (access(path.c_str(), R_OK) != 0) {
    throw ResultsError(path + ": no results file (the point has not completed)");
  }
  const auto file =
      H5Handle::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path);
  PointData point;
  point.path = path;
  point.provenance = detail::read_attributes(file.get(), path + ":/");
  if (point.attribute("format_version") == nullptr) {
    throw ResultsError(path + " is not a scalestudy point file (no format_version)");
  }
  {
    const auto group = H5Handle::checked(H5Gopen2(file.get(), "parameters", H5P_DEFAULT),
                                         "H5Gopen2", path + ":/parameters");
    point.parameters = detail::read_attributes(group.get(), path + ":/parameters");
  }
  const auto timings = H5Handle::checked(H5Gopen2(file.get(), "timings", H5P_DEFAULT), "H5Gopen2",
                                         path + ":/timings");
  const auto rows =
      H5Handle::checked(H5Gopen2(file.get(), "rows", H5P_DEFAULT), "H5Gopen2", path + ":/rows");
  const auto warmup =
      H5Handle::checked(H5Gopen2(file.get(), "warmup", H5P_DEFAULT), "H5Gopen2", path + ":/warmup");
  const auto failures = H5Handle::checked(H5Gopen2(file.get(), "failures", H5P_DEFAULT), "H5Gopen2",
                                          path + ":/failures");
  const detail::Types types = detail::make_types();
  for (const auto& name : member_names(timings.get(), path + ":/timings")) {
    OperationSamples op;
    op.name = name;
    const std::string label = path + ":/timings/" + name;
    const auto dims = read_dataset(timings.get(), name, H5T_NATIVE_DOUBLE, op.seconds, label);
    if (dims.size() != 2) throw ResultsError(label + " is not [rows, samples]");
    op.rows = dims[0];
    op.samples = dims[1];
    read_dataset(rows.get(), name, H5T_NATIVE_INT32, op.ranks, path + ":/rows/" + name);
    // Flags are the bool enum; reading them as that enum converts by member name.
    read_dataset(warmup.get(), name, types.boolean.get(), op.warmup, path + ":/warmup/" + name);
    read_dataset(failures.get(), name, types.boolean.get(), op.failed, path + ":/failures/" + name);
    if (op.ranks.size() != op.rows || op.warmup.size() != op.samples ||
        op.failed.size() != op.rows * op.samples) {
      throw ResultsError(label + ": /rows, /warmup or /failures do not match its shape");
    }
    const auto dataset =
        H5Handle::checked(H5Dopen2(timings.get(), name.c_str(), H5P_DEFAULT), "H5Dopen2", label);
    for (const auto& attribute : detail::read_attributes(dataset.get(), label)) {
      if (attribute.name == "bytes") {
        op.bytes = static_cast<std::uint64_t>(std::get<std::int64_t>(attribute.value));
      }
    }
    point.operations.push_back(std::move(op));
  }
  read_ranks(file.get(), path, point.ranks);
  read_tables(file.get(), path, point.tables);
  return point;
}

bool is_complete_point_file(const std::string& path) {
  detail::silence_hdf5_errors();
  if (access(path.c_str(), R_OK) != 0) return false;
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    detail::take_hdf5_error_stack();
    return false;
  }
  const H5Handle file(id);
  const bool complete = H5Aexists(file.get(), "format_version") > 0 &&
                        H5Lexists(file.get(), "parameters", H5P_DEFAULT) > 0 &&
                        H5Lexists(file.get(), "timings", H5P_DEFAULT) > 0;
  detail::take_hdf5_error_stack();
  return complete;
}

}  // namespace scalestudy::results
