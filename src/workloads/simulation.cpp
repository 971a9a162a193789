// The simulation loop: halo exchange, stencil step, diagnostics and coupling to the store.
#include "workloads/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_check.hpp"
#include "core/placement.hpp"
#include "kernels/backend.hpp"
#include "workloads/cartesian_domain.hpp"
#include "workloads/inference_parameters.hpp"
#include "workloads/loop_parameters.hpp"
#include "workloads/model_pipeline.hpp"
#include "workloads/thread_cpus.hpp"

namespace scalestudy::workloads {
namespace {

/// alpha*dt/h^2 of every simulation: stable (below 1/6) with room to spare.
constexpr double kDiffusionNumber = 0.1;

std::string extent_text(const std::array<std::size_t, 3>& n) {
  std::ostringstream out;
  out << n[0] << 'x' << n[1] << 'x' << n[2];
  return out.str();
}

std::string dims_text(const std::array<int, 3>& n) {
  std::ostringstream out;
  out << n[0] << 'x' << n[1] << 'x' << n[2];
  return out.str();
}

/// Checks what depends on the decomposition: blocks and slices that exist.
void check_decomposition(const SimulationParameters& simulation, const Decomposition& d) {
  const std::size_t planes = simulation.slice_planes;
  if (simulation.sends_slices() && planes > d.block[0]) {
    throw ConfigError("slice_planes=" + std::to_string(planes) + " exceeds the " +
                      std::to_string(d.block[0]) + " x-planes of a client's " +
                      extent_text(d.block) + " block; use at most " + std::to_string(d.block[0]));
  }
}

/// Images for the model from the field: image b, channel c is x-plane (middle + 3b + c) of the
/// block, resampled (nearest point) to image_size^2 and scaled from [0, 1] to [0, 255].
void field_to_images(const std::vector<double>& field, const kernels::Extent3& n,
                     const std::vector<std::uint64_t>& dims, std::vector<float>& images) {
  const std::size_t batch = dims[0], height = dims[1], width = dims[2];
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t y = 0; y < height; ++y) {
      const std::size_t j = y * n.ny / height;
      for (std::size_t x = 0; x < width; ++x) {
        const std::size_t k = x * n.nz / width;
        for (std::size_t c = 0; c < 3; ++c) {
          const std::size_t i = (n.nx / 2 + 3 * b + c) % n.nx;
          const double u = field[(i * n.ny + j) * n.nz + k];
          images[((b * height + y) * width + x) * 3 + c] =
              static_cast<float>(255.0 * std::clamp(u, 0.0, 1.0));
        }
      }
    }
  }
}

/// The field statistics of each diagnostics step, as the field_stats table.
struct FieldStatsRows {
  std::vector<std::int64_t> step;
  std::vector<double> sum;
  std::vector<double> sum_squares;
  std::vector<double> max_abs;

  void add(std::size_t at, const kernels::FieldStats& stats, int client) {
    if (!std::isfinite(stats.sum) || !std::isfinite(stats.sum_squares) ||
        !std::isfinite(stats.max_abs)) {
      std::ostringstream message;
      message << "simulation: the field of client " << client << " is not finite after step " << at
              << " (sum " << stats.sum << ", max |u| " << stats.max_abs << ")";
      throw WorkloadError(message.str());
    }
    step.push_back(static_cast<std::int64_t>(at));
    sum.push_back(stats.sum);
    sum_squares.push_back(stats.sum_squares);
    max_abs.push_back(stats.max_abs);
  }

  results::RecordTable table() const {
    return {"field_stats",
            {{"step", step}, {"sum", sum}, {"sum_squares", sum_squares}, {"max_abs", max_abs}}};
  }
};

}  // namespace

void Simulation::check(const core::Parameters& params) const {
  const SimulationParameters simulation = SimulationParameters::of(params);
  const LoopParameters loop = LoopParameters::of(params);
  const std::string& backend = simulation.kernel_backend;
  const auto available = kernels::available_backends();
  if (std::find(available.begin(), available.end(), backend) == available.end()) {
    std::string names;
    for (const auto& name : available) names += (names.empty() ? "" : ", ") + name;
    throw ConfigError("kernel_backend: " + backend +
                      " is not built into this scalestudy (Kokkos was not found when it was "
                      "configured, or SCALESTUDY_ENABLE_KOKKOS=OFF); available: " +
                      names);
  }
  if (simulation.coupling == Coupling::Inference) {
    check_database_models(InferenceParameters::of(params));
  }
  const std::size_t steps = loop.samples();
  if (simulation.couple_every > steps) {
    throw ConfigError("couple_every=" + std::to_string(simulation.couple_every) + " exceeds the " +
                      std::to_string(steps) +
                      " steps of the point (warmup + iterations): nothing would be coupled or "
                      "checked; lower couple_every or raise iterations");
  }
  // Studies always know their clients; a job launched by hand is checked when it runs.
  const core::LayoutRequest layout = core::layout_request(params);
  const int clients = layout.client_nodes * layout.ranks_per_node;
  if (clients > 0) check_decomposition(simulation, decompose(simulation, process_grid(clients)));
}

WorkloadNeeds Simulation::needs(const core::Parameters& params) const {
  const SimulationParameters simulation = SimulationParameters::of(params);
  WorkloadNeeds needs;
  needs.store.tensors =
      simulation.coupling == Coupling::Put || simulation.coupling == Coupling::Inference;
  needs.store.datasets = simulation.coupling == Coupling::Aggregate;
  needs.store.models = simulation.coupling == Coupling::Inference;
  if (needs.store.models) needs.model_runtime = InferenceParameters::of(params).threads;
  needs.kernel_runtime = kernels::needs_runtime(simulation.kernel_backend);
  needs.divides_own_work = simulation.grid_points > 0;
  return needs;
}

void Simulation::run(WorkloadContext& context) const {
  const LoopParameters loop = LoopParameters::of(context.params);
  const SimulationParameters simulation = SimulationParameters::of(context.params);
  auto& recorder = context.recorder;
  const std::size_t warmup = loop.warmup;
  const std::size_t steps = loop.samples();
  const std::size_t couple_every = simulation.couple_every;
  const std::size_t couplings = steps / couple_every;
  const std::size_t coupling_warmup = warmup / couple_every;
  const Coupling coupling = simulation.coupling;
  const bool barrier_each = loop.barrier_each_iteration;

  const double t0 = now();
  auto store = context.backend.connect(context.backend_context);
  recorder.record(recorder.add("client_init", 1), 0, now() - t0);

  // Only clients see the decomposition fail (a job launched by hand with a client count that
  // does not divide the grid): end the whole job rather than leave the database ranks waiting.
  Decomposition decomposition;
  try {
    decomposition =
        decompose(simulation, CartesianDomain::mpi_process_grid(context.layout.client_count()));
    check_decomposition(simulation, decomposition);
  } catch (const ConfigError& error) {
    throw WorkloadError(std::string("simulation: ") + error.what());
  }
  CartesianDomain domain(context.clients, decomposition);
  const auto backend = kernels::make_backend(simulation.kernel_backend, context.threads);
  kernels::HeatParams heat;
  heat.interior = decomposition.block_extent();
  heat.dt = kDiffusionNumber;  // alpha = h = 1
  const auto stencil = backend->make_heat_stencil(heat);
  stencil->set_interior(sine_mode(decomposition, domain.offset()));
  const kernels::Extent3 n = heat.interior;

  if (context.client == 0 && context.tables != nullptr) {
    context.tables->push_back(
        {"simulation_grid",
         {{"process_grid", std::vector<std::string>{dims_text(decomposition.dims)}},
          {"global_points", std::vector<std::string>{extent_text(decomposition.global)}},
          {"block_points", std::vector<std::string>{extent_text(decomposition.block)}},
          {"kernel_backend", std::vector<std::string>{std::string(backend->name())}},
          {"execution_space", std::vector<std::string>{backend->execution_space()}},
          {"kernel_version", std::vector<std::string>{backend->version()}},
          {"kernel_threads", std::vector<std::int64_t>{backend->threads()}},
          {"diffusion_number", std::vector<double>{stencil->diffusion_number()}}}});
  }

  // What a coupling sends: planes from the middle of the block (put), or images (inference).
  std::vector<double> field(coupling == Coupling::None ? 0 : n.points());
  const std::size_t planes = simulation.slice_planes;
  const std::size_t first_plane = (n.nx - planes) / 2;
  const std::vector<std::uint64_t> slice_dims = {planes, n.ny, n.nz};
  const std::string key = "simulation_rank_" + std::to_string(context.client);
  const std::uint64_t slice_bytes = planes * n.ny * n.nz * sizeof(double);
  const InferenceParameters inference = InferenceParameters::of(context.params);
  const std::vector<std::uint64_t> image_shape = inference.image_dims();
  std::vector<float> images;
  std::optional<ModelPipeline> pipeline;
  if (coupling == Coupling::Inference) {
    set_up_models(context, inference, *store);
    images.resize(image_shape[0] * image_shape[1] * image_shape[2] * image_shape[3]);
    stencil->get_interior(field);
    field_to_images(field, n, image_shape, images);
    pipeline.emplace(*store, recorder, context.client, images, image_shape, true, couplings,
                     coupling_warmup);
  }

  const std::uint64_t block_bytes = n.points() * sizeof(double);
  // Bytes a step must read and write once each (the STREAM convention of bench_kernels), so
  // that compute's bandwidth in the report compares with bench_kernels' memcpy.
  const int compute_op = recorder.add("compute", steps, warmup, 2 * block_bytes);
  const int halo_op = recorder.add("halo_exchange", steps, warmup);
  const int step_op = recorder.add("step", steps, warmup);
  const int diagnostics_op = recorder.add("diagnostics", couplings, coupling_warmup, block_bytes);
  const int copy_op = coupling == Coupling::None
                          ? -1
                          : recorder.add("copy_field", couplings, coupling_warmup, block_bytes);
  const int put_op = coupling == Coupling::Put
                         ? recorder.add("put_tensor", couplings, coupling_warmup, slice_bytes)
                         : -1;
  const bool aggregate = coupling == Coupling::Aggregate;
  const int dataset_op =
      aggregate ? recorder.add("put_dataset", couplings, coupling_warmup, slice_bytes) : -1;
  const int append_op = aggregate ? recorder.add("append_to_list", couplings, coupling_warmup) : -1;
  const int loop_op = recorder.add("loop_time", 1);
  const int startup_op = recorder.add("startup", 1);
  FieldStatsRows stats_rows;
  stats_rows.add(0, stencil->stats(), context.client);
  const bool openmp = backend->runs_on_openmp_team();
  const core::LaunchTime launch = core::launch_time();
  core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");

  double loop_start = now();
  for (std::size_t s = 0; s < steps; ++s) {
    if (barrier_each) core::mpi_call(MPI_Barrier(context.clients), "MPI_Barrier(clients)");
    const double step_start = now();
    if (s == 0) recorder.record(startup_op, 0, core::epoch_seconds() - launch.epoch);
    if (s == warmup) loop_start = step_start;
    domain.exchange_halos(*stencil);
    double end = now();
    recorder.record(halo_op, s, end - step_start);
    double start = end;
    stencil->step();
    end = now();
    recorder.record(compute_op, s, end - start);
    const bool couples = (s + 1) % couple_every == 0;
    if (couples) {
      const std::size_t c = (s + 1) / couple_every - 1;
      start = now();
      const kernels::FieldStats stats = stencil->stats();
      end = now();
      recorder.record(diagnostics_op, c, end - start);
      stats_rows.add(s + 1, stats, context.client);
      if (coupling != Coupling::None) {
        start = now();
        stencil->get_interior(field);
        if (pipeline) field_to_images(field, n, image_shape, images);
        end = now();
        recorder.record(copy_op, c, end - start);
      }
      const double* slice = field.data() + first_plane * n.ny * n.nz;
      if (coupling == Coupling::Put) {
        start = now();
        store->put_tensor(key, slice, slice_dims, store::DType::Float64);
        end = now();
        recorder.record(put_op, c, end - start);
      } else if (aggregate) {
        // SmartSim's aggregation pattern: every client appends its dataset to the coupling's
        // list, which a consumer polls until it holds one per client.
        store::DataSet dataset(key + "_coupling_" + std::to_string(c));
        dataset.add_tensor("field", slice, slice_dims, store::DType::Float64);
        dataset.add_meta_string("step", std::to_string(s + 1));
        start = now();
        store->put_dataset(dataset);
        end = now();
        recorder.record(dataset_op, c, end - start);
        start = end;
        store->append_to_list("simulation_coupling_" + std::to_string(c), dataset);
        end = now();
        recorder.record(append_op, c, end - start);
      } else if (pipeline) {
        pipeline->run(images, c);
        end = now();
      }
    }
    recorder.record(step_op, s, end - step_start);
    // Untimed: where this rank's threads run now.
    if (couples && context.cpus != nullptr) {
      if (openmp) {
        context.cpus->sample_team(backend->threads());
      } else {
        context.cpus->sample_this_thread();
      }
    }
  }
  recorder.record(loop_op, 0, now() - loop_start);
  if (steps % couple_every != 0) stats_rows.add(steps, stencil->stats(), context.client);
  if (context.tables != nullptr) context.tables->push_back(stats_rows.table());
}

}  // namespace scalestudy::workloads
