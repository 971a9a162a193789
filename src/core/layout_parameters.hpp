// The parameters core reads itself: a point's deployment and repetition, and where its ranks
// go (the layout), with their typed views.
#pragma once

#include <vector>

#include "core/layout.hpp"
#include "core/parameters.hpp"

namespace scalestudy::core {

/// deployment and repetition (what runs), then the layout of ranks over nodes, in --help order.
const std::vector<ParamSpec>& layout_parameters();

/// The threads of a point's ranks: client_threads (clients and consumers) and db_threads.
struct RankThreads {
  int client = 1;
  int database = 1;
};

/// The point's rank threads.
RankThreads rank_threads(const Parameters& params);

}  // namespace scalestudy::core
