// Expanding a study into points: product, exclusions, sizes, strong scaling, repetitions, ids.
#include <algorithm>
#include <map>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/layout.hpp"
#include "study/impl/study_parser.hpp"

namespace scalestudy::study::detail {
namespace {

std::string describe(const StudyPoint& point) {
  const std::string text = varied_text(point);
  return text.empty() ? "the only point" : text;
}

bool rule_matches(const ExcludeRule& rule, const core::Parameters& params) {
  for (const auto& [key, values] : rule.matches) {
    const core::ParamValue& actual = params.entry(key).value;
    if (std::find(values.begin(), values.end(), actual) == values.end()) return false;
  }
  return true;
}

/// Checks `point` can be sized and run, divides the totals of strong scaling over its clients,
/// and sets its world size and node mode.
void complete_point(const Study& study, StudyPoint& point, const std::string& last_origin) {
  const auto& params = point.params;
  const std::string label = "point (" + describe(point) + ")";
  const auto ranks_per_node = params.integer("ranks_per_node");
  const auto client_nodes = params.integer("client_nodes");
  if (ranks_per_node < 1 || client_nodes < 1) {
    throw ConfigError(last_origin + ": " + label +
                      ": a study must set client_nodes and ranks_per_node (both at least 1) so "
                      "that each point's job can be sized");
  }
  // Strong scaling: the divided parameters hold totals; each client gets its share.
  const std::int64_t clients = client_nodes * ranks_per_node;
  for (const auto& key : study.scaling.divide) {
    const std::int64_t total = params.integer(key);
    if (total % clients != 0 || total / clients < 1) {
      throw ConfigError(
          params.entry(key).origin + ": " + label + ": " + key + "=" + std::to_string(total) +
          " (the total of strong scaling) does not split evenly over " + std::to_string(clients) +
          " clients; use a multiple of " + std::to_string(clients));
    }
    point.params.set(key, std::to_string(total / clients), params.entry(key).origin);
  }
  const bool virtual_nodes = !study.launcher.real_nodes();
  core::LayoutRequest request = core::layout_request(params);
  request.virtual_nodes = virtual_nodes;
  request.world_size = core::expected_world_size(request);
  if (virtual_nodes) {
    try {
      core::plan_layout(request);
    } catch (const ConfigError& error) {
      throw ConfigError(last_origin + ": " + label + " cannot run: " + error.what());
    }
  } else if (request.deployment == core::Deployment::Colocated && request.db_nodes != 1) {
    throw ConfigError(params.entry("db_nodes").origin + ": " + label +
                      ": colocated deployment puts database ranks on every client node; "
                      "remove db_nodes");
  }
  point.world_size = request.world_size;
  point.params.set("node_mode", virtual_nodes ? "virtual" : "real", study.path);
}

void refuse_repeated_points(const Study& study) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < study.points.size(); ++i) {
    const auto [it, inserted] = seen.emplace(study.points[i].id, i);
    if (!inserted) {
      throw ConfigError(study.path + ": points " + std::to_string(it->second + 1) + " (" +
                        describe(study.points[it->second]) + ") and " + std::to_string(i + 1) +
                        " (" + describe(study.points[i]) +
                        ") are the same point; remove the repeated value from the sweep (use "
                        "repetitions: N to repeat points)");
    }
  }
}

}  // namespace

void expand_points(const Parser& p, const StudyDraft& draft, Study& study) {
  for (const auto& axis : draft.axes) {
    for (const auto& key : axis.keys) study.swept_keys.push_back(key);
  }
  const auto& axes = draft.axes;
  std::vector<std::size_t> position(axes.size(), 0);
  std::size_t expanded = 0;
  for (bool more = true; more;) {
    ++expanded;
    StudyPoint point;
    point.params = draft.base;
    std::string last_origin = study.path;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      for (std::size_t k = 0; k < axes[a].keys.size(); ++k) {
        const Located& v = axes[a].values[k][position[a]];
        point.params.set(axes[a].keys[k], v.text, v.where);
        point.varied.emplace_back(axes[a].keys[k], v.text);
        last_origin = v.where;
      }
    }
    const bool excluded =
        std::any_of(draft.rules.begin(), draft.rules.end(),
                    [&](const ExcludeRule& r) { return rule_matches(r, point.params); });
    if (!excluded) {
      complete_point(study, point, last_origin);
      for (int r = 0; r < study.repetitions; ++r) {
        StudyPoint repeated = point;
        repeated.params.set("repetition", std::to_string(r), study.path);
        if (study.repetitions > 1) repeated.varied.emplace_back("repetition", std::to_string(r));
        repeated.id = point_id(repeated.params);
        study.points.push_back(std::move(repeated));
      }
    }
    // Next combination, like an odometer: the last axis turns fastest.
    more = false;
    for (std::size_t a = axes.size(); a-- > 0;) {
      if (++position[a] < axes[a].size()) {
        more = true;
        break;
      }
      position[a] = 0;
    }
  }
  if (study.points.empty()) {
    throw ConfigError(p.where(draft.exclude_node) + ": exclude drops all " +
                      std::to_string(expanded) + " points of the sweep; nothing would run");
  }
  // A simulation with a fixed grid_points divides that grid over its clients itself.
  if (!draft.strong_without_divide.empty() &&
      !std::all_of(study.points.begin(), study.points.end(),
                   [](const StudyPoint& point) { return core::divides_own_work(point.params); })) {
    throw ConfigError(draft.strong_without_divide +
                      ": strong scaling needs 'divide': the parameters that hold the total work, "
                      "split over the clients (e.g. divide: [iterations]); only a simulation "
                      "with a fixed grid_points divides its grid by itself");
  }
  refuse_repeated_points(study);
}

}  // namespace scalestudy::study::detail
