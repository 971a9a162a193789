// The parameters of one sweep point: a schema of every known key, and typed, validated values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace scalestudy::core {

enum class ParamType {
  Integer,  ///< whole number
  Bytes,    ///< byte count; accepts suffixes KiB MiB GiB TiB (and K M G T), kB MB GB TB (powers of
            ///< 10)
  Real,     ///< floating point
  Boolean,  ///< true/false, yes/no, on/off, 1/0
  Text,     ///< free text (paths)
  Choice,   ///< one of `choices`
};

/// One key a point may set. Each part declares its own beside its code (a section); the
/// schema of every section (catalog.hpp) is the single source of truth for point files, the
/// command line of scalestudy-rank, study validation and the attributes of result files.
struct ParamSpec {
  std::string_view name;
  ParamType type;
  std::string_view default_value;  ///< in the same text form a user would write
  std::string_view group;          ///< the --help group it is listed under ("Where ranks go")
  std::string_view help;
  std::vector<std::string_view> choices = {};  ///< Choice only
  double min = 0;                              ///< Integer, Bytes, Real: smallest accepted value
  double max = 9.2e18;                         ///< Integer, Bytes, Real: largest accepted value
};

using ParamValue = std::variant<std::int64_t, double, bool, std::string>;

/// One part's parameters, in --help order (e.g. workloads::LoopParameters::specs).
using ParameterSection = const std::vector<ParamSpec>& (*)();

/// A Choice parameter whose choices are the names of a table (the workloads, the backends), the
/// first being the default; its help is "<lead>: name (summary), ..." over the entries that
/// have a summary. Holds the strings its spec points to: keep it where it lives (a static).
class TableChoice {
 public:
  struct Entry {
    std::string_view name;
    std::string_view summary;  ///< "": a choice that --help does not describe
  };
  TableChoice(std::string_view name, std::string_view group, std::string_view lead,
              const std::vector<Entry>& entries);
  TableChoice(const TableChoice&) = delete;
  TableChoice& operator=(const TableChoice&) = delete;

  const ParamSpec& spec() const { return spec_; }

 private:
  std::string help_;
  ParamSpec spec_;
};

/// The spec of `name`, or nullptr when no such key exists.
const ParamSpec* find_parameter(std::string_view name);

/// The known key closest to `name` (edit distance), or "" when none is close enough to suggest.
std::string closest_parameter(std::string_view name);

/// The word in `candidates` closest to `word`, or "" when none is close enough to suggest.
std::string closest_word(std::string_view word, const std::vector<std::string_view>& candidates);

/// Parses `text` as a value of `spec`. Throws ConfigError saying what was expected.
ParamValue parse_value(const ParamSpec& spec, std::string_view text);

/// The canonical text of a value (what parse_value reads back to the same value).
std::string format_value(const ParamValue& value);

/// A value as a person reads it: byte counts in the largest exact binary unit ("64KiB",
/// "1MiB", "1000"), everything else as format_value.
std::string display_value(const ParamSpec& spec, const ParamValue& value);

/// Parses a byte count such as "1024", "64KiB", "1 MB". Throws ConfigError.
std::int64_t parse_bytes(std::string_view text);

/// Resolved parameters of one point: every schema key, with its default unless set.
class Parameters {
 public:
  struct Entry {
    const ParamSpec* spec;
    ParamValue value;
    bool is_explicit = false;
    std::string origin;  ///< where it was set ("point.yaml:3:5", "--iterations"), or "default"
  };

  /// All keys at their defaults.
  Parameters();

  /// Sets `name` from user text. Throws ConfigError naming `origin`, with a suggestion for an
  /// unknown key or an invalid choice.
  void set(std::string_view name, std::string_view text, std::string_view origin);

  std::int64_t integer(std::string_view name) const;  ///< Integer or Bytes
  double real(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::string& text(std::string_view name) const;  ///< Text or Choice
  bool is_explicit(std::string_view name) const;
  const Entry& entry(std::string_view name) const;

  /// Every key, sorted by name.
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }

  /// "key: value" lines sorted by key: the resolved point as YAML, stable for hashing.
  std::string to_yaml() const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace scalestudy::core
