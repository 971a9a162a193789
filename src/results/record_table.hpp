// Tables of records a rank adds to its point's results file (rows of its own, any number).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace scalestudy::results {

/// One column of a record table: every column of a table has the same number of rows.
struct TableColumn {
  std::string name;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;

  std::size_t rows() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
  }
};

/// Rows one rank adds to a table of records (e.g. one row per inference request it served).
/// Ranks may add any number of rows, including none; ranks that add a table must give the same
/// columns with the same types.
struct RecordTable {
  std::string name;
  std::vector<TableColumn> columns;
};

}  // namespace scalestudy::results
