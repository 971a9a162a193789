// Planning a point file: checks that ranks agree, then rows, offsets and string widths.
#include "results/impl/write_plan.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"

namespace scalestudy::results::detail {
namespace {

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

}  // namespace

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

}  // namespace scalestudy::results::detail
