// Parallel-HDF5 point file: global shapes agreed with one MPI gather, then collective writes.
//
// The layout is documented in docs/results-format.md. Every rank serialises a description of
// its input (operation names, sample counts, warm-up masks, counter names, string lengths, a
// hash of the attributes, and any local input error); an MPI_Allgatherv gives every rank all
// descriptions, from which every rank derives the same plan, or the same ResultsError, before
// any HDF5 call. Then all ranks create every object with identical arguments, and each rank
// writes its own rows with one collective H5Dwrite per dataset.
#include "results/point_writer.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <system_error>
#include <variant>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "results/h5_attributes.hpp"
#include "results/h5_handle.hpp"
#include "results/impl/rank_description.hpp"
#include "results/impl/write_plan.hpp"

namespace scalestudy::results {
namespace {

using detail::describe;
using detail::gather_descriptions;
using detail::h5_check;
using detail::H5Handle;
using detail::make_plan;
using detail::make_types;
using detail::Plan;
using detail::Types;
using detail::write_attribute;

static_assert(sizeof(int) == sizeof(std::int32_t), "rank fields are stored as int32");

constexpr std::int64_t kFormatVersion = 1;
// Root attributes the writer sets itself; same-named provenance entries are replaced.
constexpr std::array<std::string_view, 2> kWriterAttributes = {"format_version", "hdf5_version"};

H5Handle fixed_string_type(std::size_t length) {
  auto type = H5Handle::checked(H5Tcopy(H5T_C_S1), "H5Tcopy", "H5T_C_S1");
  h5_check(H5Tset_size(type.get(), length), "H5Tset_size", "fixed-length string");
  h5_check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad", "fixed-length string");
  h5_check(H5Tset_cset(type.get(), H5T_CSET_ASCII), "H5Tset_cset", "fixed-length string");
  return type;
}

H5Handle create_group(hid_t parent, const char* name, std::string_view label) {
  return H5Handle::checked(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           "H5Gcreate2", label);
}

H5Handle create_dataset(hid_t group, const std::string& name, hid_t type,
                        std::initializer_list<hsize_t> dims, std::string_view label) {
  const std::vector<hsize_t> extent(dims);
  const auto space =
      H5Handle::checked(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                        "H5Screate_simple", label);
  return H5Handle::checked(
      H5Dcreate2(group, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      "H5Dcreate2", label);
}

// Collective: writes rows [first, first + count) of `dataset` (whole rows: every other
// dimension in full) from `data`. A rank with count == 0 selects nothing but still takes part.
// Datasets without elements are skipped by every rank alike, as all ranks know their shapes.
void write_rows(const H5Handle& dataset, std::string_view label, hid_t type, hid_t dxpl,
                hsize_t first, hsize_t count, const void* data) {
  const auto file_space = H5Handle::checked(H5Dget_space(dataset.get()), "H5Dget_space", label);
  std::array<hsize_t, H5S_MAX_RANK> dims{};
  const int rank = h5_check(H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr),
                            "H5Sget_simple_extent_dims", label);
  hsize_t elements = 1;
  for (int d = 0; d < rank; ++d) elements *= dims[static_cast<std::size_t>(d)];
  if (elements == 0) return;

  H5Handle memory_space;
  if (count == 0) {
    h5_check(H5Sselect_none(file_space.get()), "H5Sselect_none", label);
    const hsize_t one = 1;
    memory_space = H5Handle::checked(H5Screate_simple(1, &one, nullptr), "H5Screate_simple", label);
    h5_check(H5Sselect_none(memory_space.get()), "H5Sselect_none", label);
  } else {
    std::array<hsize_t, H5S_MAX_RANK> start{};
    std::array<hsize_t, H5S_MAX_RANK> block = dims;
    start[0] = first;
    block[0] = count;
    h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                 block.data(), nullptr),
             "H5Sselect_hyperslab", label);
    memory_space =
        H5Handle::checked(H5Screate_simple(rank, block.data(), nullptr), "H5Screate_simple", label);
  }
  static const std::uint64_t unused = 0;  // H5Dwrite wants a buffer even for empty selections
  h5_check(H5Dwrite(dataset.get(), type, memory_space.get(), file_space.get(), dxpl,
                    data != nullptr ? data : &unused),
           "H5Dwrite", label);
}

std::vector<std::int8_t> flags(const std::vector<std::uint8_t>& mask) {
  std::vector<std::int8_t> out(mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) out[i] = mask[i] != 0 ? 1 : 0;
  return out;
}

std::string hdf5_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  h5_check(H5get_libversion(&major, &minor, &release), "H5get_libversion");
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// Collective. If H5Fcreate fails on some ranks only, every rank throws without closing (which
// is collective and would hang).
H5Handle create_file(MPI_Comm comm, const std::string& path) {
  const auto fapl = H5Handle::checked(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", "file access");
  h5_check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), "H5Pset_fapl_mpio", path);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  int created = id >= 0 ? 1 : 0;
  core::mpi_call(MPI_Allreduce(MPI_IN_PLACE, &created, 1, MPI_INT, MPI_MIN, comm),
                 "MPI_Allreduce (results file created)");
  if (id < 0) detail::throw_hdf5_error("H5Fcreate", path);
  H5Handle file(id);
  if (created == 0) {
    file.release();
    throw ResultsError("HDF5 call H5Fcreate failed on another rank for '" + path +
                       "'; see that rank's error");
  }
  return file;
}

void write_timings(hid_t file, const Plan& plan, int me, const Types& types, hid_t dxpl) {
  const auto timings = create_group(file, "timings", "/timings");
  const auto rows = create_group(file, "rows", "/rows");
  const auto warmup = create_group(file, "warmup", "/warmup");
  const auto failures = create_group(file, "failures", "/failures");
  for (const auto& op : plan.ops) {
    const hsize_t n_rows = op.ranks.size();
    const hsize_t n_samples = op.samples;
    const bool mine = op.my_row >= 0;
    const hsize_t row = mine ? static_cast<hsize_t>(op.my_row) : 0;
    const hsize_t count = mine ? 1 : 0;
    {
      const std::string label = "/timings/" + op.name;
      const auto dataset =
          create_dataset(timings.get(), op.name, H5T_NATIVE_DOUBLE, {n_rows, n_samples}, label);
      write_attribute(dataset.get(), label, "bytes", static_cast<std::int64_t>(op.bytes), types);
      write_rows(dataset, label, H5T_NATIVE_DOUBLE, dxpl, row, count,
                 mine ? op.mine->seconds.data() : nullptr);
    }
    {
      const std::string label = "/rows/" + op.name;
      const auto dataset = create_dataset(rows.get(), op.name, H5T_NATIVE_INT32, {n_rows}, label);
      const std::int32_t rank = me;
      write_rows(dataset, label, H5T_NATIVE_INT32, dxpl, row, count, &rank);
    }
    {
      const std::string label = "/warmup/" + op.name;
      const auto dataset =
          create_dataset(warmup.get(), op.name, types.boolean.get(), {n_samples}, label);
      const bool writer = op.my_row == 0;  // the first row's rank writes the shared mask
      const auto mask = writer ? flags(op.mine->warmup) : std::vector<std::int8_t>{};
      write_rows(dataset, label, types.boolean.get(), dxpl, 0, writer ? n_samples : 0, mask.data());
    }
    {
      const std::string label = "/failures/" + op.name;
      const auto dataset =
          create_dataset(failures.get(), op.name, types.boolean.get(), {n_rows, n_samples}, label);
      const auto failed = mine ? flags(op.mine->failed) : std::vector<std::int8_t>{};
      write_rows(dataset, label, types.boolean.get(), dxpl, row, count, failed.data());
    }
  }
}

void write_ranks(hid_t file, const Plan& plan, int me, int size, const RankRow& row, hid_t dxpl) {
  const auto ranks = create_group(file, "ranks", "/ranks");
  const hsize_t n = static_cast<hsize_t>(size);
  const auto element = static_cast<hsize_t>(me);
  auto write_int32 = [&](const char* name, int value) {
    const std::string label = std::string("/ranks/") + name;
    const auto dataset = create_dataset(ranks.get(), name, H5T_NATIVE_INT32, {n}, label);
    const std::int32_t data = value;
    write_rows(dataset, label, H5T_NATIVE_INT32, dxpl, element, 1, &data);
  };
  auto write_text = [&](const char* name, const std::string& value, std::size_t length) {
    const std::string label = std::string("/ranks/") + name;
    const auto type = fixed_string_type(length);
    const auto dataset = create_dataset(ranks.get(), name, type.get(), {n}, label);
    std::string data(length, '\0');
    value.copy(data.data(), length);
    write_rows(dataset, label, type.get(), dxpl, element, 1, data.data());
  };
  write_int32("world_rank", row.world_rank);
  write_text("role", row.role, plan.role_length);
  write_int32("node", row.node);
  write_text("hostname", row.hostname, plan.hostname_length);
  write_text("cpus", row.cpus, plan.cpus_length);
  write_text("cpus_used", row.cpus_used, plan.cpus_used_length);
  write_int32("omp_threads", row.omp_threads);
  write_int32("client_index", row.client_index);
  write_int32("shard", row.shard);
  {
    const auto dataset = create_dataset(ranks.get(), "peak_rss_bytes", H5T_NATIVE_INT64, {n},
                                        "/ranks/peak_rss_bytes");
    write_rows(dataset, "/ranks/peak_rss_bytes", H5T_NATIVE_INT64, dxpl, element, 1,
               &row.peak_rss_bytes);
  }
}

void write_database(hid_t file, const Plan& plan, const PointRecord& mine, hid_t dxpl) {
  const auto database = create_group(file, "database", "/database");
  const hsize_t n = plan.database_ranks.size();
  const bool writer = plan.my_database_row >= 0;
  const hsize_t row = writer ? static_cast<hsize_t>(plan.my_database_row) : 0;
  const hsize_t count = writer ? 1 : 0;
  auto write_int32 = [&](const char* name, int value) {
    const std::string label = std::string("/database/") + name;
    const auto dataset = create_dataset(database.get(), name, H5T_NATIVE_INT32, {n}, label);
    const std::int32_t data = value;
    write_rows(dataset, label, H5T_NATIVE_INT32, dxpl, row, count, &data);
  };
  write_int32("world_rank", mine.rank.world_rank);
  write_int32("shard", mine.rank.shard);
  write_int32("node", mine.rank.node);
  for (std::size_t c = 0; c < plan.counters.size(); ++c) {
    const std::string label = "/database/" + plan.counters[c];
    const auto dataset =
        create_dataset(database.get(), plan.counters[c], H5T_NATIVE_UINT64, {n}, label);
    const std::uint64_t value = writer ? mine.counters[c].second : 0;
    write_rows(dataset, label, H5T_NATIVE_UINT64, dxpl, row, count, &value);
  }
}

void write_tables(hid_t file, const Plan& plan, int me, const Types& types, hid_t dxpl) {
  const auto tables = create_group(file, "tables", "/tables");
  for (const auto& table : plan.tables) {
    const std::string path = "/tables/" + table.name;
    const auto group = create_group(tables.get(), table.name.c_str(), path);
    const hsize_t n = table.total_rows;
    const hsize_t offset = table.my_offset;
    const hsize_t count = table.my_rows;
    {
      const std::string label = path + "/rank";
      const auto dataset = create_dataset(group.get(), "rank", H5T_NATIVE_INT32, {n}, label);
      const std::vector<std::int32_t> ranks(count, me);
      write_rows(dataset, label, H5T_NATIVE_INT32, dxpl, offset, count, ranks.data());
    }
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const std::string label = path + "/" + table.columns[c];
      const TableColumn* column = nullptr;
      if (table.mine != nullptr && count > 0) column = &table.mine->columns[c];
      switch (table.types[c]) {
        case 0: {
          const auto dataset =
              create_dataset(group.get(), table.columns[c], H5T_NATIVE_DOUBLE, {n}, label);
          const auto* values = column ? &std::get<0>(column->values) : nullptr;
          write_rows(dataset, label, H5T_NATIVE_DOUBLE, dxpl, offset, count,
                     values ? values->data() : nullptr);
          break;
        }
        case 1: {
          const auto dataset =
              create_dataset(group.get(), table.columns[c], H5T_NATIVE_INT64, {n}, label);
          const auto* values = column ? &std::get<1>(column->values) : nullptr;
          write_rows(dataset, label, H5T_NATIVE_INT64, dxpl, offset, count,
                     values ? values->data() : nullptr);
          break;
        }
        default: {
          const std::size_t width = table.string_lengths[c];
          const auto type = fixed_string_type(width);
          const auto dataset =
              create_dataset(group.get(), table.columns[c], type.get(), {n}, label);
          std::vector<char> packed(count * width, '\0');
          if (column != nullptr) {
            const auto& texts = std::get<2>(column->values);
            for (std::size_t i = 0; i < texts.size(); ++i) {
              std::memcpy(packed.data() + i * width, texts[i].data(), texts[i].size());
            }
          }
          write_rows(dataset, label, type.get(), dxpl, offset, count, packed.data());
          break;
        }
      }
    }
  }
  (void)types;
}

bool writer_attribute(std::string_view name) {
  for (const auto reserved : kWriterAttributes) {
    if (name == reserved) return true;
  }
  return false;
}

void write_file(MPI_Comm comm, const std::string& path, const Plan& plan, int me, int size,
                const PointRecord& mine) {
  auto file = create_file(comm, path);
  {
    const auto dxpl =
        H5Handle::checked(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate", "dataset transfer");
    h5_check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
    const Types types = make_types();

    for (const auto& attribute : mine.provenance) {
      if (writer_attribute(attribute.name)) continue;
      write_attribute(file.get(), "/", attribute.name, attribute.value, types);
    }
    write_attribute(file.get(), "/", "format_version", kFormatVersion, types);
    write_attribute(file.get(), "/", "hdf5_version", hdf5_version(), types);
    {
      const auto parameters = create_group(file.get(), "parameters", "/parameters");
      for (const auto& attribute : mine.parameters) {
        write_attribute(parameters.get(), "/parameters", attribute.name, attribute.value, types);
      }
    }
    write_timings(file.get(), plan, me, types, dxpl.get());
    write_ranks(file.get(), plan, me, size, mine.rank, dxpl.get());
    write_database(file.get(), plan, mine, dxpl.get());
    write_tables(file.get(), plan, me, types, dxpl.get());
  }
  file.close();  // collective; every object above is closed, as the MPI-IO driver requires
}

// Broadcasts `text` from rank 0. Collective.
void broadcast(MPI_Comm comm, std::string& text) {
  int length = static_cast<int>(text.size());
  core::mpi_call(MPI_Bcast(&length, 1, MPI_INT, 0, comm), "MPI_Bcast (results file outcome)");
  text.resize(static_cast<std::size_t>(length));
  core::mpi_call(MPI_Bcast(text.data(), length, MPI_CHAR, 0, comm),
                 "MPI_Bcast (results file outcome)");
}

}  // namespace

void write_point_file(MPI_Comm comm, const std::string& path, const PointRecord& mine) {
  int me = 0;
  int size = 0;
  core::mpi_call(MPI_Comm_rank(comm, &me), "MPI_Comm_rank");
  core::mpi_call(MPI_Comm_size(comm, &size), "MPI_Comm_size");

  const Plan plan = make_plan(gather_descriptions(comm, size, describe(mine)), me, mine);

  const std::string temporary = path + ".tmp";
  detail::silence_hdf5_errors();
  try {
    write_file(comm, temporary, plan, me, size, mine);
  } catch (const ResultsError& e) {
    throw ResultsError("writing results file '" + temporary + "': " + e.what());
  }

  core::mpi_call(MPI_Barrier(comm), "MPI_Barrier (results file closed)");
  std::string error;
  if (me == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "rank 0 could not rename the results file '" + temporary + "' to '" + path +
            "': " + std::generic_category().message(errno);
  }
  broadcast(comm, error);  // so no rank returns normally while rank 0 throws
  if (!error.empty()) throw ResultsError(error);
}

}  // namespace scalestudy::results
