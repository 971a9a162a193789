// The aggregation workload's producer and consumer loops, and what the consumer verifies.
#include "workloads/aggregation.hpp"

#include <chrono>
#include <cstring>
#include <memory>
#include <numeric>
#include <thread>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "workloads/aggregation_parameters.hpp"
#include "workloads/loop_parameters.hpp"

namespace scalestudy::workloads {
namespace {

constexpr const char* kDatasetPrefix = "aggregation_rank_";

/// SmartSim-Scaling's poll interval of its Python consumer.
constexpr int kPythonPollMs = 50;

std::string dataset_name(int producer) { return kDatasetPrefix + std::to_string(producer); }

std::string tensor_name(std::size_t j) { return "tensor_" + std::to_string(j); }

/// Every tensor holds 0, 1, 2, ... except its first element (the iteration whose data it is)
/// and its last (which producer and tensor), so that a stale or misplaced tensor is caught.
struct Stamps {
  float first;
  float last;
};

Stamps stamps_of(const AggregationParameters& aggregation, std::size_t iteration, int producer,
                 std::size_t tensor) {
  const std::size_t tpd = aggregation.tensors_per_dataset;
  const std::size_t put = aggregation.put_each_iteration ? iteration : 0;
  return {static_cast<float>(put),
          static_cast<float>(static_cast<std::size_t>(producer) * tpd + tensor) + 0.5F};
}

void stamp(std::vector<float>& data, Stamps s) {
  if (data.size() >= 2) data.front() = s.first;
  data.back() = s.last;
}

std::vector<float> base_values(std::size_t n) {
  std::vector<float> values(n);
  std::iota(values.begin(), values.end(), 0.0F);
  return values;
}

void barrier(MPI_Comm comm) { core::mpi_call(MPI_Barrier(comm), "MPI_Barrier(role)"); }

}  // namespace

int poll_interval_ms(const core::Parameters& params) {
  const AggregationParameters aggregation = AggregationParameters::of(params);
  if (aggregation.poll_interval_ms > 0) return aggregation.poll_interval_ms;
  if (aggregation.python_consumer) return kPythonPollMs;
  return store::find_backend(params.text("backend")).list_poll_ms;
}

std::string aggregation_list(std::size_t iteration) {
  return "iteration_" + std::to_string(iteration);
}

void Aggregation::check(const core::Parameters& params) const {
  const LoopParameters loop = LoopParameters::of(params);
  check_whole_floats(loop);
  if (loop.tensor_bytes < 4) {
    throw ConfigError("aggregation needs tensor_bytes of at least 4 (one float32 element)");
  }
  const core::LayoutRequest layout = core::layout_request(params);
  if (layout.consumers < 1) {
    throw ConfigError(
        "aggregation needs consumer ranks: set consumers: 1 (SmartSim-Scaling runs one consumer "
        "rank on a node of its own)");
  }
  if (layout.deployment != core::Deployment::Standard) {
    throw ConfigError(
        "aggregation runs in the standard deployment (a consumer must reach every "
        "shard); set deployment: standard");
  }
}

void Aggregation::run(WorkloadContext& context) const {
  const LoopParameters loop = LoopParameters::of(context.params);
  const AggregationParameters aggregation = AggregationParameters::of(context.params);
  auto& recorder = context.recorder;
  const std::size_t warmup = loop.warmup;
  const std::size_t samples = loop.samples();
  const std::size_t tpd = aggregation.tensors_per_dataset;
  const std::uint64_t values = loop.floats();
  const bool put_each = aggregation.put_each_iteration;
  const auto producer_poll = aggregation.producer_poll;
  const std::uint64_t dataset_bytes = tpd * values * sizeof(float);

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);
  barrier(context.clients);

  // Each tensor in its own memory, as a simulation's fields are; the dataset only refers to it.
  std::vector<std::vector<float>> tensors(tpd, base_values(values));
  store::DataSet dataset(dataset_name(context.client));
  const std::uint64_t dims[] = {1, values};
  for (std::size_t j = 0; j < tpd; ++j) {
    stamp(tensors[j], stamps_of(aggregation, 0, context.client, j));
    dataset.add_tensor(tensor_name(j), tensors[j].data(), dims, store::DType::Float32);
  }
  dataset.add_meta_string("producer", std::to_string(context.client));
  const int put_op =
      recorder.add("put_dataset", put_each ? samples : 1, put_each ? warmup : 0, dataset_bytes);
  const int append_op = recorder.add("append_to_list", samples, warmup);
  const int loop_op = recorder.add("producer_loop_time", 1);
  if (!put_each) {
    const double start = now();
    store->put_dataset(dataset);
    recorder.record(put_op, 0, now() - start);
  }

  double loop_start = now();
  for (std::size_t i = 0; i < samples; ++i) {
    if (i == warmup) loop_start = now();
    // The consumer deletes a list once every consumer has it: then the datasets may change.
    if (context.client == 0 && i > 0) {
      while (store->get_list_length(aggregation_list(i - 1)) != 0) {
        std::this_thread::sleep_for(producer_poll);
      }
    }
    barrier(context.clients);
    if (put_each) {
      for (std::size_t j = 0; j < tpd; ++j)
        stamp(tensors[j], stamps_of(aggregation, i, context.client, j));
      const double start = now();
      store->put_dataset(dataset);
      recorder.record(put_op, i, now() - start);
    }
    const double start = now();
    store->append_to_list(aggregation_list(i), dataset);
    recorder.record(append_op, i, now() - start);
  }
  recorder.record(loop_op, 0, now() - loop_start);
}

void Aggregation::run_consumer(WorkloadContext& context) const {
  const LoopParameters loop = LoopParameters::of(context.params);
  const AggregationParameters aggregation = AggregationParameters::of(context.params);
  if (aggregation.python_consumer) {
    throw WorkloadError(
        "consumer_language is python but this consumer rank runs scalestudy-rank; launch the "
        "consumer ranks as 'python3 -m scalestudy.consumer --point <file>' (scalestudy run "
        "does)");
  }
  auto& recorder = context.recorder;
  const std::size_t warmup = loop.warmup;
  const std::size_t samples = loop.samples();
  const std::uint64_t tpd = aggregation.tensors_per_dataset;
  const std::uint64_t tensor_bytes = loop.floats() * sizeof(float);
  const int producers = context.layout.client_count();
  const int interval = poll_interval_ms(context.params);
  const int tries = aggregation.poll_tries;
  const bool verify = loop.verify;

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);
  barrier(context.clients);
  const int poll_op = recorder.add("poll_list", samples, warmup);
  const int get_op = recorder.add("get_list", samples, warmup,
                                  static_cast<std::uint64_t>(producers) * tpd * tensor_bytes);
  const int loop_op = recorder.add("loop_time", 1);

  double loop_start = now();
  for (std::size_t i = 0; i < samples; ++i) {
    if (i == warmup) loop_start = now();
    const std::string list = aggregation_list(i);
    double start = now();
    if (context.client == 0 &&
        !store->poll_list_length(list, static_cast<std::uint64_t>(producers), interval, tries)) {
      throw WorkloadError("list '" + list + "' did not reach " + std::to_string(producers) +
                          " datasets after " + std::to_string(tries) + " polls " +
                          std::to_string(interval) + " ms apart");
    }
    recorder.record(poll_op, i, now() - start);
    barrier(context.clients);
    start = now();
    const std::vector<store::DataSet> datasets = store->get_datasets_from_list(list);
    recorder.record(get_op, i, now() - start);
    if (verify && !check_aggregation(context.params, producers, i, datasets).empty()) {
      recorder.fail(get_op, i);
    }
    barrier(context.clients);
    if (context.client == 0) store->delete_list(list);
  }
  recorder.record(loop_op, 0, now() - loop_start);
}

std::string check_aggregation(const core::Parameters& params, int producers, std::size_t iteration,
                              const std::vector<store::DataSet>& datasets) {
  const AggregationParameters aggregation = AggregationParameters::of(params);
  const std::size_t tpd = aggregation.tensors_per_dataset;
  const auto values = static_cast<std::size_t>(LoopParameters::of(params).floats());
  if (datasets.size() != static_cast<std::size_t>(producers)) {
    return std::to_string(datasets.size()) + " datasets for " + std::to_string(producers) +
           " producers";
  }
  static thread_local std::vector<float> base;
  if (base.size() != values) base = base_values(values);
  std::vector<bool> seen(static_cast<std::size_t>(producers), false);
  for (const auto& dataset : datasets) {
    const std::string& name = dataset.name();
    int producer = -1;
    if (name.rfind(kDatasetPrefix, 0) == 0) {
      try {
        producer = std::stoi(name.substr(std::strlen(kDatasetPrefix)));
      } catch (const std::exception&) {
        producer = -1;
      }
    }
    if (producer < 0 || producer >= producers || seen[static_cast<std::size_t>(producer)]) {
      return "unexpected or repeated dataset '" + name + "'";
    }
    seen[static_cast<std::size_t>(producer)] = true;
    if (dataset.tensors().size() != tpd || dataset.get_meta_strings("producer") !=
                                               std::vector<std::string>{std::to_string(producer)}) {
      return "dataset '" + name + "' has " + std::to_string(dataset.tensors().size()) +
             " tensors or wrong metadata";
    }
    for (std::size_t j = 0; j < tpd; ++j) {
      const store::DataSetTensor& t = dataset.tensors()[j];
      if (t.name != tensor_name(j) || t.dtype != store::DType::Float32 ||
          t.dims != std::vector<std::uint64_t>{1, values}) {
        return "dataset '" + name + "' tensor " + std::to_string(j) + " is '" + t.name + "' " +
               store::tensor_text(t.dtype, t.dims, t.bytes);
      }
      const Stamps s = stamps_of(aggregation, iteration, producer, j);
      const float first = values >= 2 ? s.first : s.last;
      const auto* data = reinterpret_cast<const float*>(t.data);
      const bool middle_ok =
          values <= 2 || std::memcmp(data + 1, base.data() + 1, (values - 2) * sizeof(float)) == 0;
      if (!middle_ok || std::memcmp(data, &first, sizeof(float)) != 0 ||
          std::memcmp(data + values - 1, &s.last, sizeof(float)) != 0) {
        return "dataset '" + name + "' tensor '" + t.name + "' holds other bytes than producer " +
               std::to_string(producer) + " put for iteration " + std::to_string(iteration);
      }
    }
  }
  return "";
}

}  // namespace scalestudy::workloads
