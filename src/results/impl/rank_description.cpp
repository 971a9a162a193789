// Rank descriptions: checked from a rank's PointRecord, encoded, gathered, decoded.
#include "results/impl/rank_description.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/error.hpp"
#include "core/fnv1a.hpp"
#include "core/mpi_check.hpp"

namespace scalestudy::results::detail {
namespace {

// Datasets of /database that are not counters.
constexpr std::array<std::string_view, 3> kDatabaseColumns = {"world_rank", "shard", "node"};

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

// A stable hash of the attributes, so ranks can compare them without sending them.
std::uint64_t hash_attributes(const PointRecord& mine) {
  core::Fnv1a hash;
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

}  // namespace

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

}  // namespace scalestudy::results::detail
