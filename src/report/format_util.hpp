// Number, JSON, CSV and table formatting shared by the report's sections.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "core/json_text.hpp"
#include "results/point_reader.hpp"

namespace scalestudy::report::detail {

/// `value` printed with `format` (printf), "" when it is not finite.
std::string number(double value, const char* format = "%.17g");

using core::json_string;

/// A JSON number, or null when not finite.
std::string json_number(double value);

/// `text` as one CSV field, quoted when it must be.
std::string csv_field(const std::string& text);

/// A rate with an SI prefix, e.g. "1.23 kop/s"; "" when not positive and finite.
std::string rate_text(double per_second, const char* unit);

/// Rows of cells rendered as an aligned text table or a markdown table; the first
/// `left_columns` columns are left-aligned, the others right-aligned.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows, bool markdown,
                         std::size_t left_columns);

/// Widest line of a text view: tables fold to fit it unless asked for the wide view.
inline constexpr std::size_t kTextWidth = 120;

/// render_table for a table whose first column labels groups of rows (a point, a group): in
/// the text view (not markdown, not `wide`) and when the table is wider than kTextWidth, each
/// label becomes a line of its own above its rows, which are indented without it.
std::string render_labelled_table(const std::vector<std::string>& header,
                                  const std::vector<std::vector<std::string>>& rows, bool markdown,
                                  bool wide, std::size_t left_columns);

/// `text` as lines of at most kTextWidth - 20 characters, broken at spaces, each ending in a
/// newline (section headings and explanations above the tables).
std::string wrapped(const std::string& text);

/// A point in a table's first column: its id, then its swept values if it has any.
std::string point_label(const std::string& id, const std::string& varied);

/// point_label for the first of consecutive rows of one point, "" for the rows after it;
/// `previous` is the id of the row before (updated).
std::string first_row_label(const std::string& id, const std::string& varied,
                            std::string& previous);

/// Swept values ("k=v, k=v") without the repetition's.
std::string without_repetition(const std::string& varied);

/// The label of the group a point belongs to: its values of the `swept` keys that are not in
/// `axis`, as "key=value, ..." (byte counts in binary units), or "all points".
std::string group_text(const results::PointData& point, const std::vector<std::string>& swept,
                       const std::set<std::string>& axis);

}  // namespace scalestudy::report::detail
