// Parallel-HDF5 point file: global shapes agreed with one MPI gather, then collective writes.
//
// The layout is documented in docs/results-format.md. Every rank serialises a description of
// its input (operation names, sample counts, warm-up masks, counter names, string lengths, a
// hash of the attributes, and any local input error); an MPI_Allgatherv gives every rank all
// descriptions, from which every rank derives the same plan, or the same ResultsError, before
// any HDF5 call. Then all ranks create every object with identical arguments, and each rank
// writes its own rows with one collective H5Dwrite per dataset.
#include "results/point_writer.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "results/h5_attributes.hpp"
#include "results/h5_handle.hpp"

namespace scalestudy::results {
namespace {

using detail::h5_check;
using detail::H5Handle;
using detail::make_types;
using detail::Types;
using detail::write_attribute;

static_assert(sizeof(int) == sizeof(std::int32_t), "rank fields are stored as int32");

constexpr std::int64_t kFormatVersion = 1;
// Root attributes the writer sets itself; same-named provenance entries are replaced.
constexpr std::array<std::string_view, 2> kWriterAttributes = {"format_version", "hdf5_version"};
// Datasets of /database that are not counters.
constexpr std::array<std::string_view, 3> kDatabaseColumns = {"world_rank", "shard", "node"};

// ---------------------------------------------------------------------------------------------
// What each rank tells the others before anything is written.

struct SeriesInfo {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;  ///< payload bytes per operation
  std::uint64_t warmup_count = 0;
  /// Run lengths of the warm-up mask, alternating non-warm-up / warm-up, starting with
  /// non-warm-up (possibly 0): exact, and a handful of numbers for the usual prefix mask.
  std::vector<std::uint64_t> warmup_runs;
};

struct TableInfo {
  std::string name;
  std::uint64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<std::uint64_t> types;           ///< TableColumn::values index per column
  std::vector<std::uint64_t> string_lengths;  ///< longest string per column (0 if numeric)
};

struct RankInfo {
  std::string error;  ///< what is wrong with this rank's input, or ""
  std::uint64_t attribute_hash = 0;
  std::uint64_t role_length = 0;
  std::uint64_t hostname_length = 0;
  std::uint64_t cpus_length = 0;
  std::uint64_t cpus_used_length = 0;
  std::vector<SeriesInfo> series;
  std::vector<std::string> counters;
  std::vector<TableInfo> tables;
};

class Encoder {
 public:
  void u64(std::uint64_t value) {
    char raw[sizeof value];
    std::memcpy(raw, &value, sizeof value);
    bytes_.append(raw, sizeof raw);
  }
  void str(std::string_view text) {
    u64(text.size());
    bytes_.append(text);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class Decoder {
 public:
  Decoder(const char* data, std::size_t size) : data_(data), size_(size) {}
  std::uint64_t u64() {
    std::uint64_t value = 0;
    need(sizeof value);
    std::memcpy(&value, data_ + offset_, sizeof value);
    offset_ += sizeof value;
    return value;
  }
  std::string str() {
    const std::uint64_t length = u64();
    need(length);
    std::string text(data_ + offset_, static_cast<std::size_t>(length));
    offset_ += static_cast<std::size_t>(length);
    return text;
  }
  /// A count of items that each take at least `item_size` bytes (guards the reserve()).
  std::size_t count(std::size_t item_size) {
    const std::uint64_t n = u64();
    need(n * item_size);
    return static_cast<std::size_t>(n);
  }

 private:
  void need(std::uint64_t bytes) const {
    if (bytes > size_ - offset_) {
      throw ResultsError("internal error: truncated rank description in the results writer");
    }
  }
  const char* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
};

std::string encode(const RankInfo& info) {
  Encoder out;
  out.str(info.error);
  out.u64(info.attribute_hash);
  out.u64(info.role_length);
  out.u64(info.hostname_length);
  out.u64(info.cpus_length);
  out.u64(info.cpus_used_length);
  out.u64(info.series.size());
  for (const auto& s : info.series) {
    out.str(s.name);
    out.u64(s.samples);
    out.u64(s.bytes);
    out.u64(s.warmup_count);
    out.u64(s.warmup_runs.size());
    for (const auto run : s.warmup_runs) out.u64(run);
  }
  out.u64(info.counters.size());
  for (const auto& name : info.counters) out.str(name);
  out.u64(info.tables.size());
  for (const auto& t : info.tables) {
    out.str(t.name);
    out.u64(t.rows);
    out.u64(t.columns.size());
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      out.str(t.columns[c]);
      out.u64(t.types[c]);
      out.u64(t.string_lengths[c]);
    }
  }
  return out.bytes();
}

RankInfo decode(const char* data, std::size_t size) {
  Decoder in(data, size);
  RankInfo info;
  info.error = in.str();
  info.attribute_hash = in.u64();
  info.role_length = in.u64();
  info.hostname_length = in.u64();
  info.cpus_length = in.u64();
  info.cpus_used_length = in.u64();
  info.series.resize(in.count(5 * sizeof(std::uint64_t)));
  for (auto& s : info.series) {
    s.name = in.str();
    s.samples = in.u64();
    s.bytes = in.u64();
    s.warmup_count = in.u64();
    s.warmup_runs.resize(in.count(sizeof(std::uint64_t)));
    for (auto& run : s.warmup_runs) run = in.u64();
  }
  info.counters.resize(in.count(sizeof(std::uint64_t)));
  for (auto& name : info.counters) name = in.str();
  info.tables.resize(in.count(3 * sizeof(std::uint64_t)));
  for (auto& t : info.tables) {
    t.name = in.str();
    t.rows = in.u64();
    const std::size_t columns = in.count(3 * sizeof(std::uint64_t));
    for (std::size_t c = 0; c < columns; ++c) {
      t.columns.push_back(in.str());
      t.types.push_back(in.u64());
      t.string_lengths.push_back(in.u64());
    }
  }
  return info;
}

// FNV-1a: a stable hash, so ranks can compare their attributes without sending them.
class Fnv1a {
 public:
  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      hash_ = (hash_ ^ p[i]) * 1099511628211ULL;
    }
  }
  void u64(std::uint64_t value) { bytes(&value, sizeof value); }
  void str(std::string_view text) {
    u64(text.size());
    bytes(text.data(), text.size());
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};

std::uint64_t hash_attributes(const PointRecord& mine) {
  Fnv1a hash;
  for (const auto* list : {&mine.parameters, &mine.provenance}) {
    hash.u64(list->size());
    for (const auto& attribute : *list) {
      hash.str(attribute.name);
      hash.u64(attribute.value.index());
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string>) {
              hash.str(value);
            } else if constexpr (std::is_same_v<T, double>) {
              hash.u64(std::bit_cast<std::uint64_t>(value));
            } else {
              hash.u64(static_cast<std::uint64_t>(value));
            }
          },
          attribute.value);
    }
  }
  return hash.value();
}

std::vector<std::uint64_t> run_lengths(const std::vector<std::uint8_t>& mask) {
  std::vector<std::uint64_t> runs{0};
  bool current = false;
  for (const auto flag : mask) {
    if ((flag != 0) != current) {
      current = !current;
      runs.push_back(0);
    }
    ++runs.back();
  }
  return runs;
}

// A link name HDF5 accepts as one path component.
bool valid_link_name(std::string_view name) {
  return !name.empty() && name != "." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

std::string check_attribute_names(const std::vector<Attribute>& list, std::string_view where) {
  std::set<std::string_view> seen;
  for (const auto& attribute : list) {
    if (attribute.name.empty() || attribute.name.find('\0') != std::string::npos) {
      return std::string(where) + " attribute name '" + attribute.name +
             "' must be non-empty text without NUL characters";
    }
    if (!seen.insert(attribute.name).second) {
      return std::string(where) + " attribute '" + attribute.name + "' is given twice";
    }
  }
  return {};
}

// Describes this rank's input, or says what is wrong with it (in `error`).
RankInfo describe(const PointRecord& mine) {
  RankInfo info;
  info.attribute_hash = hash_attributes(mine);
  info.role_length = mine.rank.role.size();
  info.hostname_length = mine.rank.hostname.size();
  info.cpus_length = mine.rank.cpus.size();
  info.cpus_used_length = mine.rank.cpus_used.size();
  info.error = check_attribute_names(mine.parameters, "/parameters");
  if (info.error.empty()) info.error = check_attribute_names(mine.provenance, "root (provenance)");
  if (!info.error.empty()) return info;

  std::set<std::string_view> names;
  if (mine.timings != nullptr) {
    for (const auto& s : mine.timings->series()) {
      if (!valid_link_name(s.name)) {
        info.error = "operation name '" + s.name +
                     "' cannot be an HDF5 dataset name (empty, '.', or containing '/')";
        return info;
      }
      if (!names.insert(s.name).second) {
        info.error = "operation '" + s.name + "' is recorded twice";
        return info;
      }
      if (s.warmup.size() != s.seconds.size() || s.failed.size() != s.seconds.size()) {
        info.error = "operation '" + s.name + "' has " + std::to_string(s.seconds.size()) +
                     " samples but " + std::to_string(s.warmup.size()) + " warm-up and " +
                     std::to_string(s.failed.size()) + " failure flags";
        return info;
      }
      SeriesInfo series;
      series.name = s.name;
      series.samples = s.seconds.size();
      series.bytes = s.bytes;
      series.warmup_runs = run_lengths(s.warmup);
      for (std::size_t i = 1; i < series.warmup_runs.size(); i += 2) {
        series.warmup_count += series.warmup_runs[i];
      }
      info.series.push_back(std::move(series));
    }
  }

  std::set<std::string_view> counters;
  for (const auto& [name, value] : mine.counters) {
    if (!valid_link_name(name)) {
      info.error = "database counter name '" + name +
                   "' cannot be an HDF5 dataset name (empty, '.', or containing '/')";
      return info;
    }
    for (const auto column : kDatabaseColumns) {
      if (name == column) {
        info.error = "database counter '" + name + "' clashes with the /database/" + name +
                     " column; rename the counter";
        return info;
      }
    }
    if (!counters.insert(name).second) {
      info.error = "database counter '" + name + "' is given twice";
      return info;
    }
    info.counters.push_back(name);
  }

  std::set<std::string_view> tables;
  for (const auto& table : mine.tables) {
    if (!valid_link_name(table.name) || !tables.insert(table.name).second) {
      info.error = "record table name '" + table.name + "' is invalid or given twice";
      return info;
    }
    TableInfo t;
    t.name = table.name;
    t.rows = table.columns.empty() ? 0 : table.columns.front().rows();
    std::set<std::string_view> columns;
    for (const auto& column : table.columns) {
      if (!valid_link_name(column.name) || column.name == "rank" ||
          !columns.insert(column.name).second) {
        info.error = "record table '" + table.name + "': column name '" + column.name +
                     "' is invalid, reserved ('rank') or given twice";
        return info;
      }
      if (column.rows() != t.rows) {
        info.error = "record table '" + table.name + "': column '" + column.name + "' has " +
                     std::to_string(column.rows()) + " rows but '" + table.columns.front().name +
                     "' has " + std::to_string(t.rows);
        return info;
      }
      std::uint64_t longest = 0;
      if (const auto* texts = std::get_if<std::vector<std::string>>(&column.values)) {
        for (const auto& text : *texts) longest = std::max<std::uint64_t>(longest, text.size());
      }
      t.columns.push_back(column.name);
      t.types.push_back(column.values.index());
      t.string_lengths.push_back(longest);
    }
    info.tables.push_back(std::move(t));
  }
  return info;
}

// Every rank's description, in rank order. Collective.
std::vector<RankInfo> gather_descriptions(MPI_Comm comm, int size, const RankInfo& mine) {
  std::string bytes = encode(mine);
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2)) {
    RankInfo too_big;
    too_big.error = "the description of this rank's samples is too large to gather (" +
                    std::to_string(bytes.size()) + " bytes; irregular warm-up masks?)";
    bytes = encode(too_big);
  }
  const int length = static_cast<int>(bytes.size());
  std::vector<int> lengths(static_cast<std::size_t>(size));
  core::mpi_call(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm),
                 "MPI_Allgather (results file description sizes)");
  std::vector<int> offsets(lengths.size());
  std::int64_t total = 0;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    if (total > std::numeric_limits<int>::max()) break;
    offsets[r] = static_cast<int>(total);
    total += lengths[r];
  }
  if (total > std::numeric_limits<int>::max()) {  // every rank sees the same total
    throw ResultsError("the per-rank descriptions of the results file total " +
                       std::to_string(total) + " bytes, more than one MPI_Allgatherv can carry");
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  core::mpi_call(MPI_Allgatherv(bytes.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                offsets.data(), MPI_CHAR, comm),
                 "MPI_Allgatherv (results file descriptions)");
  std::vector<RankInfo> infos;
  infos.reserve(lengths.size());
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    infos.push_back(decode(all.data() + offsets[r], static_cast<std::size_t>(lengths[r])));
  }
  return infos;
}

// ---------------------------------------------------------------------------------------------
// The plan every rank derives from the same descriptions.

struct OpPlan {
  std::string name;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
  std::vector<int> ranks;  ///< row -> rank in comm, increasing
  std::ptrdiff_t my_row = -1;
  const TimingRecorder::Series* mine = nullptr;
};

struct TablePlan {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::uint64_t> types;
  std::vector<std::uint64_t> string_lengths;  ///< longest over all ranks, at least 1
  std::uint64_t total_rows = 0;
  std::uint64_t my_offset = 0;  ///< first row of this rank
  std::uint64_t my_rows = 0;
  const RecordTable* mine = nullptr;
};

struct Plan {
  std::vector<OpPlan> ops;  ///< sorted by name
  std::size_t role_length = 1;
  std::size_t hostname_length = 1;
  std::size_t cpus_length = 1;
  std::size_t cpus_used_length = 1;
  std::vector<std::string> counters;  ///< counter names, in the database ranks' order
  std::vector<int> database_ranks;    ///< ranks with counters, increasing
  std::ptrdiff_t my_database_row = -1;
  std::vector<TablePlan> tables;  ///< sorted by name
};

std::string describe_mask(const SeriesInfo& s) {
  if (s.warmup_count == 0) return "no warm-up samples";
  std::string text = std::to_string(s.warmup_count) +
                     (s.warmup_count == 1 ? " warm-up sample at " : " warm-up samples at ");
  std::uint64_t position = 0;
  int shown = 0;
  for (std::size_t i = 0; i < s.warmup_runs.size(); ++i) {
    const std::uint64_t run = s.warmup_runs[i];
    if (i % 2 == 1) {
      if (shown == 4) {
        text += ", ...";
        break;
      }
      text += (shown++ > 0 ? ", " : "") + std::to_string(position);
      if (run > 1) text += "-" + std::to_string(position + run - 1);
    }
    position += run;
  }
  return text;
}

std::string join(const std::vector<std::string>& items) {
  std::string text = "[";
  for (std::size_t i = 0; i < items.size(); ++i) text += (i > 0 ? ", " : "") + items[i];
  return text + "]";
}

// Throws the same ResultsError on every rank (all ranks see the same `infos`).
Plan make_plan(const std::vector<RankInfo>& infos, int me, const PointRecord& mine) {
  std::string errors;
  int n_errors = 0;
  for (std::size_t r = 0; r < infos.size(); ++r) {
    if (infos[r].error.empty()) continue;
    if (++n_errors <= 3) errors += "\n  rank " + std::to_string(r) + ": " + infos[r].error;
  }
  if (n_errors > 0) {
    if (n_errors > 3) errors += "\n  (and " + std::to_string(n_errors - 3) + " more ranks)";
    throw ResultsError("cannot write the results file, invalid input:" + errors);
  }
  for (std::size_t r = 1; r < infos.size(); ++r) {
    if (infos[r].attribute_hash != infos[0].attribute_hash) {
      throw ResultsError(
          "cannot write the results file: the /parameters or provenance "
          "attributes given on rank " +
          std::to_string(r) +
          " differ from those on rank 0; PointRecord::parameters and "
          "PointRecord::provenance must be identical on every rank");
    }
  }

  Plan plan;
  std::map<std::string, std::pair<int, const SeriesInfo*>> first;  // op -> first rank, series
  std::map<std::string, OpPlan> ops;
  for (std::size_t r = 0; r < infos.size(); ++r) {
    const int rank = static_cast<int>(r);
    const RankInfo& info = infos[r];
    plan.role_length = std::max(plan.role_length, static_cast<std::size_t>(info.role_length));
    plan.hostname_length =
        std::max(plan.hostname_length, static_cast<std::size_t>(info.hostname_length));
    plan.cpus_length = std::max(plan.cpus_length, static_cast<std::size_t>(info.cpus_length));
    plan.cpus_used_length =
        std::max(plan.cpus_used_length, static_cast<std::size_t>(info.cpus_used_length));
    for (const auto& s : info.series) {
      auto [it, inserted] = ops.try_emplace(s.name);
      OpPlan& op = it->second;
      if (inserted) {
        op.name = s.name;
        op.samples = s.samples;
        op.bytes = s.bytes;
        first[s.name] = {rank, &s};
      } else {
        const auto& [first_rank, reference] = first[s.name];
        if (s.samples != reference->samples) {
          throw ResultsError("cannot write the results file: operation '" + s.name + "' has " +
                             std::to_string(reference->samples) + " samples on rank " +
                             std::to_string(first_rank) + " but " + std::to_string(s.samples) +
                             " on rank " + std::to_string(rank) +
                             "; every rank that records an operation must record the same "
                             "number of samples (its rows share /timings/" +
                             s.name + ")");
        }
        if (s.bytes != reference->bytes) {
          throw ResultsError("cannot write the results file: operation '" + s.name + "' moves " +
                             std::to_string(reference->bytes) + " bytes per call on rank " +
                             std::to_string(first_rank) + " but " + std::to_string(s.bytes) +
                             " on rank " + std::to_string(rank) + "; ranks that share /timings/" +
                             s.name + " must move the same payload");
        }
        if (s.warmup_runs != reference->warmup_runs) {
          throw ResultsError("cannot write the results file: operation '" + s.name +
                             "' has different warm-up samples on rank " +
                             std::to_string(first_rank) + " (" + describe_mask(*reference) +
                             ") and on rank " + std::to_string(rank) + " (" + describe_mask(s) +
                             "); every rank that records an operation must flag the same "
                             "samples as warm-up (they share /warmup/" +
                             s.name + ")");
        }
      }
      if (rank == me) op.my_row = static_cast<std::ptrdiff_t>(op.ranks.size());
      op.ranks.push_back(rank);
    }
    if (!info.counters.empty()) {
      if (plan.database_ranks.empty()) {
        plan.counters = info.counters;
      } else if (info.counters != plan.counters) {
        throw ResultsError("cannot write the results file: database counters differ: rank " +
                           std::to_string(plan.database_ranks.front()) + " reports " +
                           join(plan.counters) + " but rank " + std::to_string(rank) + " reports " +
                           join(info.counters) +
                           "; every database rank must report the same counters in the same "
                           "order");
      }
      if (rank == me)
        plan.my_database_row = static_cast<std::ptrdiff_t>(plan.database_ranks.size());
      plan.database_ranks.push_back(rank);
    }
  }
  std::map<std::string, TablePlan> tables;
  for (std::size_t r = 0; r < infos.size(); ++r) {
    for (const auto& t : infos[r].tables) {
      auto [it, inserted] = tables.try_emplace(t.name);
      TablePlan& table = it->second;
      if (inserted) {
        table.name = t.name;
        table.columns = t.columns;
        table.types = t.types;
        table.string_lengths.assign(t.columns.size(), 1);
      } else if (table.columns != t.columns || table.types != t.types) {
        throw ResultsError("cannot write the results file: record table '" + t.name +
                           "' has columns " + join(t.columns) + " on rank " + std::to_string(r) +
                           " but " + join(table.columns) +
                           " on another rank; every rank must give the same columns and types");
      }
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        table.string_lengths[c] = std::max(table.string_lengths[c], t.string_lengths[c]);
      }
      if (static_cast<int>(r) == me) {
        table.my_offset = table.total_rows;
        table.my_rows = t.rows;
      }
      table.total_rows += t.rows;
    }
  }
  for (auto& [name, table] : tables) {
    for (const auto& record : mine.tables) {
      if (record.name == name) table.mine = &record;
    }
    plan.tables.push_back(std::move(table));
  }
  for (auto& [name, op] : ops) {
    if (op.my_row >= 0) {
      for (const auto& s : mine.timings->series()) {
        if (s.name == name) op.mine = &s;
      }
    }
    plan.ops.push_back(std::move(op));
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// HDF5 objects.

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
