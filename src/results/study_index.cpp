// Writing and reading the study index.
#include "results/study_index.hpp"

#include <cstdio>
#include <cstring>
#include <functional>

#include "core/error.hpp"
#include "results/h5_attributes.hpp"

namespace scalestudy::results {

using detail::h5_check;
using detail::H5Handle;

namespace {

template <typename T>
void write_number_column(hid_t group, const std::string& name, hid_t type,
                         const std::vector<T>& values, const std::string& label) {
  const hsize_t n = values.size();
  const auto space = H5Handle::checked(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", label);
  const auto dataset = H5Handle::checked(
      H5Dcreate2(group, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      "H5Dcreate2", label);
  if (!values.empty()) {
    h5_check(H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
             "H5Dwrite", label);
  }
}

template <typename T>
std::vector<T> read_number_column(hid_t group, const std::string& name, hid_t type,
                                  const std::string& label) {
  const auto dataset =
      H5Handle::checked(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "H5Dopen2", label);
  const auto space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space", label);
  std::vector<T> out(static_cast<std::size_t>(
      h5_check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", label)));
  if (!out.empty()) {
    h5_check(H5Dread(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread",
             label);
  }
  return out;
}

template <typename Field>
std::vector<std::string> column(const std::vector<PointStatus>& points, Field field) {
  std::vector<std::string> out;
  out.reserve(points.size());
  for (const auto& point : points) out.push_back(std::invoke(field, point));
  return out;
}

}  // namespace

void write_study_index(const std::string& path, const StudyIndex& index) {
  detail::silence_hdf5_errors();
  const std::string temporary = path + ".tmp";
  {
    auto file =
        H5Handle::checked(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                          "H5Fcreate", temporary);
    const detail::Types types = detail::make_types();
    for (const auto& attribute : index.attributes) {
      detail::write_attribute(file.get(), path + ":/", attribute.name, attribute.value, types);
    }
    const auto points =
        H5Handle::checked(H5Gcreate2(file.get(), "points", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          "H5Gcreate2", path + ":/points");
    const std::string label = path + ":/points";
    const auto& p = index.points;
    detail::write_text_column(points.get(), "id", column(p, &PointStatus::id), types, label);
    detail::write_text_column(points.get(), "status", column(p, &PointStatus::status), types,
                              label);
    detail::write_text_column(points.get(), "reason", column(p, &PointStatus::reason), types,
                              label);
    detail::write_text_column(points.get(), "log_tail", column(p, &PointStatus::log_tail), types,
                              label);
    detail::write_text_column(points.get(), "varied", column(p, &PointStatus::varied), types,
                              label);
    detail::write_text_column(points.get(), "parameters_yaml",
                              column(p, &PointStatus::parameters_yaml), types, label);
    detail::write_text_column(points.get(), "file", column(p, &PointStatus::file), types, label);
    detail::write_text_column(points.get(), "job_id", column(p, &PointStatus::job_id), types,
                              label);
    detail::write_text_column(points.get(), "scheduler", column(p, &PointStatus::scheduler), types,
                              label);
    detail::write_text_column(points.get(), "job_script", column(p, &PointStatus::job_script),
                              types, label);
    std::vector<std::int64_t> exit_status;
    std::vector<std::int64_t> world_size;
    std::vector<std::int64_t> nodes;
    std::vector<double> duration;
    for (const auto& point : p) {
      exit_status.push_back(point.exit_status);
      world_size.push_back(point.world_size);
      nodes.push_back(point.nodes);
      duration.push_back(point.duration_s);
    }
    write_number_column(points.get(), "exit_status", H5T_NATIVE_INT64, exit_status, label);
    write_number_column(points.get(), "world_size", H5T_NATIVE_INT64, world_size, label);
    write_number_column(points.get(), "nodes", H5T_NATIVE_INT64, nodes, label);
    write_number_column(points.get(), "duration_s", H5T_NATIVE_DOUBLE, duration, label);

    const auto links =
        H5Handle::checked(H5Gcreate2(file.get(), "links", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          "H5Gcreate2", path + ":/links");
    for (const auto& point : p) {
      if (point.status != "completed" || point.file.empty()) continue;
      // Relative to the index: HDF5 resolves it from the index file's directory.
      h5_check(H5Lcreate_external(point.file.c_str(), "/", links.get(), point.id.c_str(),
                                  H5P_DEFAULT, H5P_DEFAULT),
               "H5Lcreate_external", path + ":/links/" + point.id);
    }
    file.close();
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw ResultsError("cannot rename " + temporary + " to " + path + ": " + std::strerror(errno));
  }
}

StudyIndex read_study_index(const std::string& path) {
  detail::silence_hdf5_errors();
  const auto file =
      H5Handle::checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path);
  StudyIndex index;
  index.attributes = detail::read_attributes(file.get(), path + ":/");
  const auto points =
      H5Handle::checked(H5Gopen2(file.get(), "points", H5P_DEFAULT), "H5Gopen2", path);
  const std::string label = path + ":/points";
  const auto ids = detail::read_text_column(points.get(), "id", label);
  const auto status = detail::read_text_column(points.get(), "status", label);
  const auto reason = detail::read_text_column(points.get(), "reason", label);
  const auto log_tail = detail::read_text_column(points.get(), "log_tail", label);
  const auto varied = detail::read_text_column(points.get(), "varied", label);
  const auto yaml = detail::read_text_column(points.get(), "parameters_yaml", label);
  const auto files = detail::read_text_column(points.get(), "file", label);
  const auto exit_status =
      read_number_column<std::int64_t>(points.get(), "exit_status", H5T_NATIVE_INT64, label);
  const auto world_size =
      read_number_column<std::int64_t>(points.get(), "world_size", H5T_NATIVE_INT64, label);
  const auto duration =
      read_number_column<double>(points.get(), "duration_s", H5T_NATIVE_DOUBLE, label);
  // Columns added with batch jobs; an index written before them has none.
  const auto has = [&](const char* name) { return H5Lexists(points.get(), name, H5P_DEFAULT) > 0; };
  const std::size_t n = ids.size();
  const auto nodes = has("nodes") ? read_number_column<std::int64_t>(points.get(), "nodes",
                                                                     H5T_NATIVE_INT64, label)
                                  : std::vector<std::int64_t>(n, 0);
  const auto job_id = has("job_id") ? detail::read_text_column(points.get(), "job_id", label)
                                    : std::vector<std::string>(n);
  const auto scheduler = has("scheduler")
                             ? detail::read_text_column(points.get(), "scheduler", label)
                             : std::vector<std::string>(n);
  const auto job_script = has("job_script")
                              ? detail::read_text_column(points.get(), "job_script", label)
                              : std::vector<std::string>(n);
  for (std::size_t i = 0; i < n; ++i) {
    index.points.push_back({ids[i], status.at(i), exit_status.at(i), reason.at(i), log_tail.at(i),
                            duration.at(i), world_size.at(i), varied.at(i), yaml.at(i), files.at(i),
                            nodes.at(i), job_id.at(i), scheduler.at(i), job_script.at(i)});
  }
  return index;
}

}  // namespace scalestudy::results
