// Number, JSON, CSV and table formatting shared by the report's sections.
#include "report/format_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace scalestudy::report::detail {

std::string number(double value, const char* format) {
  if (!std::isfinite(value)) return "";
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

std::string json_number(double value) { return std::isfinite(value) ? number(value) : "null"; }

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string rate_text(double per_second, const char* unit) {
  if (per_second <= 0 || !std::isfinite(per_second)) return "";
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (per_second >= 1000 && i < 4) {
    per_second /= 1000;
    ++i;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g %s%s", per_second, prefixes[i], unit);
  return text;
}

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows, bool markdown,
                         std::size_t left_columns) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    if (markdown) out << "|";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = width[c] - cells[c].size();
      out << (markdown ? " " : (c > 0 ? "  " : ""));
      if (c < left_columns) {
        out << cells[c] << std::string(pad, ' ');
      } else {
        out << std::string(pad, ' ') << cells[c];
      }
      if (markdown) out << " |";
    }
    out << "\n";
  };
  line(header);
  if (markdown) {
    out << "|";
    for (std::size_t c = 0; c < header.size(); ++c) {
      out << (c < left_columns ? ":" : "-") << std::string(width[c], '-')
          << (c < left_columns ? "-" : ":") << "|";
    }
    out << "\n";
  }
  for (const auto& row : rows) line(row);
  return out.str();
}

std::string without_repetition(const std::string& varied) {
  std::string out;
  std::istringstream items(varied);
  for (std::string item; std::getline(items, item, ',');) {
    const auto first = item.find_first_not_of(' ');
    if (first == std::string::npos || item.compare(first, 11, "repetition=") == 0) continue;
    out += (out.empty() ? "" : ", ") + item.substr(first);
  }
  return out;
}

std::string render_labelled_table(const std::vector<std::string>& header,
                                  const std::vector<std::vector<std::string>>& rows, bool markdown,
                                  bool wide, std::size_t left_columns) {
  const std::string full = render_table(header, rows, markdown, left_columns);
  if (markdown || wide || full.find('\n') <= kTextWidth) return full;
  // Fold: the label column as headings, the other columns as one table (aligned across groups).
  const std::vector<std::string> rest_header(header.begin() + 1, header.end());
  std::vector<std::vector<std::string>> rest;
  for (const auto& row : rows) rest.emplace_back(row.begin() + 1, row.end());
  std::istringstream lines(render_table(rest_header, rest, false, left_columns - 1));
  std::ostringstream out;
  std::string line;
  std::getline(lines, line);
  out << "  " << line << "\n";
  for (const auto& row : rows) {
    std::getline(lines, line);
    if (!row.front().empty()) out << row.front() << "\n";
    out << "  " << line << "\n";
  }
  return out.str();
}

std::string wrapped(const std::string& text) {
  const std::size_t width = kTextWidth - 20;
  std::string out;
  std::string line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::string point_label(const std::string& id, const std::string& varied) {
  return varied.empty() ? id : id + " " + varied;
}

std::string first_row_label(const std::string& id, const std::string& varied,
                            std::string& previous) {
  const bool first = id != previous;
  previous = id;
  return first ? point_label(id, varied) : "";
}

std::string group_text(const results::PointData& point, const std::vector<std::string>& swept,
                       const std::set<std::string>& axis) {
  std::string group;
  for (const auto& key : swept) {
    if (axis.count(key)) continue;
    const auto* value = point.parameter(key);
    const core::ParamSpec* spec = core::find_parameter(key);
    if (value == nullptr || spec == nullptr) continue;
    if (!group.empty()) group += ", ";
    group += key + "=" + core::display_value(*spec, *value);
  }
  return group.empty() ? "all points" : group;
}

}  // namespace scalestudy::report::detail
