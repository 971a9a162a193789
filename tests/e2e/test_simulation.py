"""The coupled simulation end to end: stencil steps, halo exchange, the field's analytic decay,
coupling by put, aggregation lists and inference, threads and placement, and the
processes-against-threads study with its report."""

import json
import math
import os
import subprocess

import h5py
import numpy as np
import pytest

from conftest import BUILD_DIR, MPI_ENV, SOURCE_DIR, run_mpi

SCALESTUDY = BUILD_DIR / "scalestudy"
MODELS = BUILD_DIR / "models"
SIMULATION = ["--workload", "simulation"]


def text(column):
    return [v.decode() for v in column[()]]


def decay_per_step(global_points, r=0.1):
    """Amplification factor of the slowest sine mode of the explicit 7-point scheme."""
    return 1 - 4 * r * sum(math.sin(math.pi / (2 * (n + 1))) ** 2 for n in global_points)


def scalestudy(*args, timeout=600):
    env = dict(os.environ, **MPI_ENV)
    return subprocess.run([str(SCALESTUDY), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)


def test_simulation_put_point_records_steps_coupling_and_an_exact_decay(rank_program, tmp_path):
    out = tmp_path / "put.h5"
    done = run_mpi(3, rank_program, *SIMULATION, "--ranks_per_node", "2", "--block_points", "12",
                   "--iterations", "40", "--warmup", "4", "--couple_every", "8",
                   "--slice_planes", "2", "--client_threads", "2", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        timings = f["timings"]
        for op in ("compute", "halo_exchange", "step"):
            assert timings[op].shape == (2, 44), op
            assert (timings[op][()] >= 0).all(), op
            assert f["warmup"][op][()].tolist() == [True] * 4 + [False] * 40
        # 44 steps, coupling every 8: 5 couplings, none of them in the 4 warm-up steps.
        for op in ("diagnostics", "copy_field", "put_tensor"):
            assert timings[op].shape == (2, 5), op
            assert not f["warmup"][op][()].any()
        assert timings["put_tensor"].attrs["bytes"] == 2 * 12 * 12 * 8
        assert timings["compute"].attrs["bytes"] == 2 * 12 ** 3 * 8
        # A step covers its halo exchange, compute and coupling.
        parts = timings["halo_exchange"][()] + timings["compute"][()]
        assert (timings["step"][()] >= parts).all()
        assert timings["loop_time"].shape == (2, 1) and timings["startup"].shape == (2, 1)
        assert (timings["startup"][()] > 0).all() and (timings["startup"][()] < 60).all()

        grid = f["tables/simulation_grid"]
        assert text(grid["process_grid"]) == ["2x1x1"]
        assert text(grid["global_points"]) == ["24x12x12"]
        assert text(grid["kernel_backend"]) == ["openmp"]
        assert grid["kernel_threads"][()].tolist() == [2]
        # The slowest sine mode decays by the scheme's factor each step, on every block: the
        # halo exchange stitches the blocks into one grid.
        stats = f["tables/field_stats"]
        step, rank, max_abs = stats["step"][()], stats["rank"][()], stats["max_abs"][()]
        assert sorted(set(step.tolist())) == [0, 8, 16, 24, 32, 40, 44]
        factor = decay_per_step([24, 12, 12])
        for r in (0, 1):
            mine = rank == r
            ratios = max_abs[mine][1:] / max_abs[mine][:-1]
            steps = np.diff(step[mine])
            assert ratios == pytest.approx(factor ** steps, rel=1e-9)
        assert np.isfinite(stats["sum"][()]).all()

        ranks = f["ranks"]
        assert ranks["omp_threads"][()].tolist() == [2, 2, 1]  # db_threads on the database rank
        assert all(len(c) > 0 for c in text(ranks["cpus_used"]))
        assert (ranks["peak_rss_bytes"][()] > 0).all()
        threads = f["tables/thread_cpus"]
        assert sorted(zip(threads["rank"][()].tolist(), threads["thread"][()].tolist())) == \
            [(0, 0), (0, 1), (1, 0), (1, 1)]
        assert (threads["samples"][()] == 5).all()

        root = f.attrs
        assert root["threads_per_host"] == 2 * 2 + 1
        assert root["oversubscribed"] == (root["threads_per_host"] > root["cpus_per_host"])
        assert root["launched_by"] == "hand"
        assert root["omp_num_threads"] == "1"  # the test environment's, recorded as launched


@pytest.mark.skipif(not (MODELS / "tiny_cnn.pt").exists(),
                    reason="built without libtorch (no traced models)")
def test_simulation_inference_coupling_runs_the_model_on_the_field(rank_program, tmp_path):
    out = tmp_path / "inference.h5"
    done = run_mpi(3, rank_program, *SIMULATION, "--coupling", "inference", "--model", "tiny_cnn",
                   "--image_size", "32", "--batch_size", "2", "--ranks_per_node", "2",
                   "--grid_points", "16", "--iterations", "12", "--warmup", "0",
                   "--couple_every", "4", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        for op in ("put_tensor", "run_script", "run_model", "unpack_tensor", "copy_field"):
            assert f["timings"][op].shape == (2, 3), op
        assert f["timings/put_tensor"].attrs["bytes"] == 2 * 32 * 32 * 3 * 4
        assert f["rows/set_model"][()].tolist() == [0]
        kinds = text(f["tables/model_requests"]["kind"])
        # Per client: the untimed first inference and 3 couplings, script and model each.
        assert kinds.count("model") == 2 * 4 and kinds.count("script") == 2 * 4
        assert text(f["tables/simulation_grid"]["block_points"]) == ["8x16x16"]


def test_simulation_aggregate_coupling_appends_datasets_to_lists(rank_program, tmp_path):
    out = tmp_path / "aggregate.h5"
    done = run_mpi(3, rank_program, *SIMULATION, "--coupling", "aggregate", "--ranks_per_node",
                   "2", "--block_points", "8", "--iterations", "10", "--warmup", "0",
                   "--couple_every", "5", "--slice_planes", "8", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        assert f["timings/put_dataset"].shape == (2, 2)
        assert f["timings/put_dataset"].attrs["bytes"] == 8 ** 3 * 8
        assert f["timings/append_to_list"].shape == (2, 2)
        assert "put_tensor" not in f["timings"]


def test_kokkos_backend_steps_the_same_field_as_openmp(rank_program, tmp_path):
    fields = {}
    for backend in ("openmp", "kokkos"):
        out = tmp_path / f"{backend}.h5"
        done = run_mpi(3, rank_program, *SIMULATION, "--kernel_backend", backend,
                       "--ranks_per_node", "2", "--block_points", "10", "--iterations", "20",
                       "--couple_every", "5", "--coupling", "none", "--output", str(out))
        if backend == "kokkos" and "is not built into this scalestudy" in done.stderr:
            pytest.skip("built without Kokkos")
        assert done.returncode == 0, done.stdout + done.stderr
        with h5py.File(out, "r") as f:
            grid = f["tables/simulation_grid"]
            assert text(grid["kernel_backend"]) == [backend]
            assert "copy_field" not in f["timings"] and "put_tensor" not in f["timings"]
            fields[backend] = {k: f["tables/field_stats"][k][()] for k in ("step", "max_abs", "sum")}
    # The backends share the per-point arithmetic: the same field, step by step.
    assert (fields["openmp"]["step"] == fields["kokkos"]["step"]).all()
    assert (fields["openmp"]["max_abs"] == fields["kokkos"]["max_abs"]).all()
    assert fields["openmp"]["sum"] == pytest.approx(fields["kokkos"]["sum"], rel=1e-12)


def test_simulation_refuses_points_it_cannot_run_before_starting(rank_program, tmp_path):
    done = run_mpi(2, rank_program, *SIMULATION, "--ranks_per_node", "1", "--client_nodes", "1",
                   "--block_points", "4", "--slice_planes", "5")
    assert done.returncode == 2
    assert "slice_planes=5 exceeds the 4 x-planes" in done.stderr, done.stderr
    done = run_mpi(4, rank_program, *SIMULATION, "--ranks_per_node", "3", "--client_nodes", "1",
                   "--grid_points", "16")
    assert done.returncode == 2
    assert "grid_points=16 does not divide evenly over the 3x1x1 process grid" in done.stderr


PROCESSES_VS_THREADS = """
workload: simulation
iterations: 30
warmup: 2
parameters: {client_nodes: 1, grid_points: 32, coupling: put, couple_every: 5}
zip:
  - ranks_per_node: [1, 1, 2, 2]
    client_threads: [1, 2, 1, 2]
timeout_s: 120
"""


def test_processes_vs_threads_study_flags_oversubscription_and_reports_speedups(tmp_path):
    study = tmp_path / "pvt.yaml"
    study.write_text(f"name: pvt\nresults_dir: {tmp_path / 'results'}\n" + PROCESSES_VS_THREADS)
    study_dir = tmp_path / "results" / "pvt"
    cpus = len(os.sched_getaffinity(0))

    plan = scalestudy("plan", study)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.count("placement: ") == 4
    assert "OMP_NUM_THREADS=2" in plan.stdout and "-x OMP_NUM_THREADS" in plan.stdout
    if cpus < 5:  # 2 x 2 client threads and the database rank's do not fit
        assert f"unbound (oversubscribed: 5 threads on this machine's {cpus} CPUs)" in plan.stdout
        assert "--bind-to none" in plan.stdout

    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(study_dir / "index.h5", "r") as index:
        ids = list(index["points/id"].asstr()[()])
        files = [study_dir / p for p in index["points/file"].asstr()[()]]
        durations = dict(zip(ids, index["points/duration_s"][()]))
    facts = {}
    for point_id, path in zip(ids, files):
        with h5py.File(path, "r") as f:
            root = f.attrs
            params = f["parameters"].attrs
            ranks, threads = int(params["ranks_per_node"]), int(params["client_threads"])
            assert root["threads_per_host"] == ranks * threads + 1
            assert root["oversubscribed"] == (root["threads_per_host"] > root["cpus_per_host"])
            assert root["launched_by"] == "scalestudy run"
            assert float(root["launch_time"]) > 0
            assert root["omp_num_threads"] == str(threads)
            assert root["omp_wait_policy"] == ("passive" if root["oversubscribed"] else "active")
            assert f["ranks/omp_threads"][()].tolist()[:ranks] == [threads] * ranks
            startup = f["timings/startup"][()].max()
            loop = f["timings/loop_time"][()].max()
            assert 0 < startup < durations[point_id]
            assert 0 < loop < durations[point_id]
            facts[point_id] = (ranks, threads, bool(root["oversubscribed"]), startup, loop)
    if cpus < 5:
        assert [v[2] for v in facts.values() if v[:2] == (2, 2)] == [True]

    report = scalestudy("report", study_dir, "--format", "json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    rows = data["threads"]
    assert len(rows) == 4
    reference = next(i for i, v in facts.items() if v[:2] == (1, 1))
    for row in rows:
        ranks, threads, oversubscribed, startup, loop = facts[row["point_id"]]
        assert (row["ranks"], row["threads"], row["cores"]) == (ranks, threads, ranks * threads)
        assert row["reference_id"] == reference
        assert row["oversubscribed"] == oversubscribed
        assert row["startup_s"] == pytest.approx(startup, rel=1e-12)
        assert row["loop_s"] == pytest.approx(loop, rel=1e-12)
        assert row["total_s"] == pytest.approx(durations[row["point_id"]], rel=1e-12)
        assert row["speedup_loop"] == pytest.approx(facts[reference][4] / loop, rel=1e-12)
        assert row["speedup_total"] == pytest.approx(
            durations[reference] / durations[row["point_id"]], rel=1e-12)
    placement = {row["point_id"]: row for row in data["placement"]}
    assert len(placement) == 4
    for point_id, (ranks, threads, oversubscribed, _, _) in facts.items():
        assert placement[point_id]["oversubscribed"] == oversubscribed
        assert placement[point_id]["clients"] == ranks
        assert placement[point_id]["client_peak_rss_bytes"] > 0
        assert placement[point_id]["database_peak_rss_bytes"] > 0

    table = scalestudy("report", study_dir).stdout
    assert "processes vs threads" in table and "placement and memory" in table
    assert "speed-up (loop)" in table and "speed-up (total)" in table


def test_report_per_node_spread_matches_numpy(tmp_path):
    study = tmp_path / "nodes.yaml"
    study.write_text(f"name: nodes\nresults_dir: {tmp_path / 'results'}\n"
                     "workload: throughput\niterations: 40\nwarmup: 2\n"
                     "parameters: {client_nodes: 2, ranks_per_node: 2, tensor_bytes: 4KiB}\n")
    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    study_dir = tmp_path / "results" / "nodes"
    data = json.loads(scalestudy("report", study_dir, "--format", "json").stdout)
    (path,) = study_dir.glob("points/*/point.h5")
    with h5py.File(path, "r") as f:
        node_of_rank = f["ranks/node"][()]
        checked = 0
        for row in data["node_spread"]:
            op = row["operation"]
            seconds = f["timings"][op][()]
            keep = ~f["warmup"][op][()][np.newaxis, :] & ~f["failures"][op][()]
            nodes = node_of_rank[f["rows"][op][()]]
            rates = []
            for node in sorted(set(nodes.tolist())):
                rates.append(sum(keep[i].sum() / seconds[i][keep[i]].sum()
                                 for i in np.flatnonzero(nodes == node)))
            rates = np.array(rates)
            assert row["nodes"] == 2
            assert row["min_ops_per_s"] == pytest.approx(rates.min(), rel=1e-12)
            assert row["max_ops_per_s"] == pytest.approx(rates.max(), rel=1e-12)
            assert row["mean_ops_per_s"] == pytest.approx(rates.mean(), rel=1e-12)
            assert row["cv"] == pytest.approx(rates.std() / rates.mean(), rel=1e-9)
            checked += 1
        assert checked >= 2  # put_tensor and unpack_tensor at least
    table = scalestudy("report", study_dir).stdout
    assert "per-node throughput spread" in table


def test_shipped_processes_vs_threads_study_plans():
    done = scalestudy("plan", SOURCE_DIR / "studies" / "processes_vs_threads_local.yaml")
    assert done.returncode == 0, done.stderr
    assert "4 points" in done.stdout
