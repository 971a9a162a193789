// Parameter parsing and validation against the schema.
#include "core/parameters.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/catalog.hpp"
#include "core/error.hpp"

namespace scalestudy::core {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::int64_t parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw ConfigError("expected a whole number, got '" + std::string(text) + "'");
  }
  return value;
}

double parse_real(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || !std::isfinite(value)) {
    throw ConfigError("expected a number, got '" + std::string(text) + "'");
  }
  return value;
}

bool parse_boolean(std::string_view text) {
  const std::string word = lower(text);
  if (word == "true" || word == "yes" || word == "on" || word == "1") return true;
  if (word == "false" || word == "no" || word == "off" || word == "0") return false;
  throw ConfigError("expected true or false, got '" + std::string(text) + "'");
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

void check_range(const ParamSpec& spec, double value, std::string_view text) {
  if (value < spec.min || value > spec.max) {
    std::ostringstream message;
    message << "'" << text << "' is out of range: " << spec.name << " must be ";
    if (spec.max >= 9e18) {
      message << "at least " << spec.min;
    } else {
      message << "between " << spec.min << " and " << spec.max;
    }
    throw ConfigError(message.str());
  }
}

}  // namespace

TableChoice::TableChoice(std::string_view name, std::string_view group, std::string_view lead,
                         const std::vector<Entry>& entries)
    : help_(lead), spec_{name, ParamType::Choice, entries.front().name, group, {}} {
  help_ += ": ";
  bool first = true;
  for (const auto& entry : entries) {
    spec_.choices.push_back(entry.name);
    if (entry.summary.empty()) continue;
    help_ +=
        (first ? "" : ", ") + std::string(entry.name) + " (" + std::string(entry.summary) + ")";
    first = false;
  }
  spec_.help = help_;
}

const ParamSpec* find_parameter(std::string_view name) {
  const auto& schema = parameter_schema();
  const auto it = std::find_if(schema.begin(), schema.end(),
                               [&](const ParamSpec& spec) { return spec.name == name; });
  return it == schema.end() ? nullptr : &*it;
}

std::string closest_word(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::string needle = lower(word);
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(needle, lower(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  // Close enough to be a typo: a third of the word, but always allow two edits.
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  return best_distance <= allowed ? best : std::string();
}

std::string closest_parameter(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& spec : parameter_schema()) names.push_back(spec.name);
  return closest_word(name, names);
}

std::int64_t parse_bytes(std::string_view text) {
  text = trim(text);
  std::size_t split = 0;
  while (split < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[split])) || text[split] == '.')) {
    ++split;
  }
  const std::string_view number = text.substr(0, split);
  const std::string unit = lower(trim(text.substr(split)));
  double scale = 1;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "k" || unit == "kib") {
    scale = 1024.0;
  } else if (unit == "m" || unit == "mib") {
    scale = 1024.0 * 1024;
  } else if (unit == "g" || unit == "gib") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "t" || unit == "tib") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (unit == "kb") {
    scale = 1e3;
  } else if (unit == "mb") {
    scale = 1e6;
  } else if (unit == "gb") {
    scale = 1e9;
  } else if (unit == "tb") {
    scale = 1e12;
  } else {
    throw ConfigError("expected a byte count such as 1024, 64KiB or 1MB, got '" +
                      std::string(text) + "'");
  }
  if (number.empty()) {
    throw ConfigError("expected a byte count such as 1024, 64KiB or 1MB, got '" +
                      std::string(text) + "'");
  }
  const double bytes = parse_real(number) * scale;
  if (bytes != std::floor(bytes)) {
    throw ConfigError("'" + std::string(text) + "' is not a whole number of bytes");
  }
  if (bytes > 9.2e18) throw ConfigError("'" + std::string(text) + "' is too large");
  return static_cast<std::int64_t>(bytes);
}

ParamValue parse_value(const ParamSpec& spec, std::string_view raw) {
  const std::string_view text = trim(raw);
  switch (spec.type) {
    case ParamType::Integer: {
      const std::int64_t value = parse_integer(text);
      check_range(spec, static_cast<double>(value), text);
      return value;
    }
    case ParamType::Bytes: {
      const std::int64_t value = parse_bytes(text);
      check_range(spec, static_cast<double>(value), text);
      return value;
    }
    case ParamType::Real: {
      const double value = parse_real(text);
      check_range(spec, value, text);
      return value;
    }
    case ParamType::Boolean:
      return parse_boolean(text);
    case ParamType::Text:
      return std::string(text);
    case ParamType::Choice: {
      for (const auto& choice : spec.choices) {
        if (choice == text) return std::string(text);
      }
      std::string message = "'" + std::string(text) + "' is not one of " + join(spec.choices);
      const std::string suggestion = closest_word(text, spec.choices);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      throw ConfigError(message);
    }
  }
  throw std::logic_error("unhandled parameter type");
}

std::string format_value(const ParamValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream out;
          out.precision(17);
          out << v;
          return out.str();
        } else {
          return std::to_string(v);
        }
      },
      value);
}

std::string display_value(const ParamSpec& spec, const ParamValue& value) {
  if (spec.type != ParamType::Bytes || !std::holds_alternative<std::int64_t>(value)) {
    return format_value(value);
  }
  const std::int64_t bytes = std::get<std::int64_t>(value);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  std::int64_t scaled = bytes;
  int unit = -1;
  while (scaled != 0 && scaled % 1024 == 0 && unit < 3) {
    scaled /= 1024;
    ++unit;
  }
  return unit < 0 ? std::to_string(bytes) : std::to_string(scaled) + units[unit];
}

Parameters::Parameters() {
  for (const auto& spec : parameter_schema()) {
    entries_.emplace(std::string(spec.name),
                     Entry{&spec, parse_value(spec, spec.default_value), false, "default"});
  }
}

void Parameters::set(std::string_view name, std::string_view text, std::string_view origin) {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string message = std::string(origin) + ": unknown parameter '" + std::string(name) + "'";
    const std::string suggestion = closest_parameter(name);
    if (!suggestion.empty()) {
      message += " (did you mean '" + suggestion + "'?)";
    } else {
      message += " (scalestudy-rank --help lists every parameter)";
    }
    throw ConfigError(message);
  }
  try {
    it->second.value = parse_value(*it->second.spec, text);
  } catch (const ConfigError& error) {
    throw ConfigError(std::string(origin) + ": " + std::string(name) + ": " + error.what());
  }
  it->second.is_explicit = true;
  it->second.origin = std::string(origin);
}

const Parameters::Entry& Parameters::entry(std::string_view name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    throw std::logic_error("parameter '" + std::string(name) + "' is not in the schema");
  }
  return it->second;
}

std::int64_t Parameters::integer(std::string_view name) const {
  return std::get<std::int64_t>(entry(name).value);
}

double Parameters::real(std::string_view name) const { return std::get<double>(entry(name).value); }

bool Parameters::boolean(std::string_view name) const { return std::get<bool>(entry(name).value); }

const std::string& Parameters::text(std::string_view name) const {
  return std::get<std::string>(entry(name).value);
}

bool Parameters::is_explicit(std::string_view name) const { return entry(name).is_explicit; }

std::string Parameters::to_yaml() const {
  std::string out;
  for (const auto& [name, entry] : entries_) {
    out += name;
    out += ": ";
    const std::string text = format_value(entry.value);
    const bool needs_quotes =
        std::holds_alternative<std::string>(entry.value) &&
        (text.empty() || text.find_first_of(":#{}[],&*!|>'\"%@`") != std::string::npos ||
         std::isspace(static_cast<unsigned char>(text.front())));
    if (needs_quotes) {
      out += '"';
      for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += text;
    }
    out += '\n';
  }
  return out;
}

}  // namespace scalestudy::core
