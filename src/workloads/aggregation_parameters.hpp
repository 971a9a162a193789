// The aggregation workload's parameters (datasets, consumers, polling), read once into
// AggregationParameters.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "core/parameters.hpp"

namespace scalestudy::workloads {

struct AggregationParameters {
  std::size_t tensors_per_dataset = 4;
  bool python_consumer = false;  ///< consumer_language python (else cpp: scalestudy-rank)
  int poll_interval_ms = 0;      ///< 0: SmartSim-Scaling's (poll_interval_ms in aggregation.hpp)
  int poll_tries = 100000;
  std::chrono::milliseconds producer_poll{1000};
  bool put_each_iteration = true;

  /// tensors_per_dataset ... put_each_iteration, in --help order.
  static const std::vector<core::ParamSpec>& specs();
  /// The aggregation parameters of a point.
  static AggregationParameters of(const core::Parameters& params);
};

}  // namespace scalestudy::workloads
