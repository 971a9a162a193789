"""Inference served by database ranks, end to end: timings, database-side queue and compute
times, the in-process baseline, dynamic batching, and refusals before the point starts."""

import json
import os
import subprocess

import h5py
import numpy as np
import pytest

from conftest import BUILD_DIR, run_mpi

MODELS = BUILD_DIR / "models"
pytestmark = pytest.mark.skipif(not (MODELS / "tiny_cnn.pt").exists(),
                                reason="built without libtorch (no traced models)")

TINY = ["--workload", "inference", "--model", "tiny_cnn", "--image_size", "32"]


def text(column):
    return [v.decode() for v in column[()]]


def test_inference_point_records_client_and_database_timings(rank_program, tmp_path):
    out = tmp_path / "inference.h5"
    done = run_mpi(3, rank_program, *TINY, "--batch_size", "2", "--ranks_per_node", "2",
                   "--iterations", "6", "--warmup", "2", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        for op in ("put_tensor", "run_script", "run_model", "unpack_tensor",
                   "local_run_script", "local_run_model"):
            seconds = f["timings"][op][()]
            assert seconds.shape == (2, 8), op
            assert (seconds > 0).all(), op
            assert f["warmup"][op][()].tolist() == [True, True] + [False] * 6
        assert f["timings/put_tensor"].attrs["bytes"] == 2 * 32 * 32 * 3 * 4
        assert f["timings/unpack_tensor"].attrs["bytes"] == 2 * 10 * 4
        # Client 0 set the model and the script for the database rank.
        assert f["rows/set_model"][()].tolist() == [0]
        requests = f["tables/model_requests"]
        kinds = text(requests["kind"])
        # Per client: one untimed first call plus 8 recorded iterations, script and model each.
        assert kinds.count("model") == 2 * 9 and kinds.count("script") == 2 * 9
        assert set(text(requests["key"])) == {"resnet_model", "resnet_script"}
        assert (requests["queue_s"][()] >= 0).all() and (requests["compute_s"][()] > 0).all()
        assert (requests["batch_size"][()] == 2).all()  # batching off: every request alone
        assert not requests["failed"][()].any()
        assert requests["rank"][()].tolist() == [2] * 36
        loads = f["tables/model_loads"]
        assert sorted(text(loads["kind"])) == ["model", "script"]
        assert (loads["load_s"][()] > 0).all() and (loads["first_call_s"][()] > 0).all()


def test_dynamic_batching_groups_requests_of_different_clients(rank_program, tmp_path):
    out = tmp_path / "batched.h5"
    done = run_mpi(5, rank_program, *TINY, "--batch_size", "1", "--ranks_per_node", "1",
                   "--iterations", "20", "--max_batch_size", "4", "--max_queue_delay_us",
                   "20000", "--barrier_each_iteration", "true", "--baseline", "false",
                   "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        requests = f["tables/model_requests"]
        models = np.array(text(requests["kind"])) == "model"
        batches = requests["batch_size"][()][models]
        assert batches.max() > 1, "no requests of different clients were batched"
        assert batches.max() <= 4
        queue = requests["queue_s"][()][models]
        compute = requests["compute_s"][()][models]
    # The report's database section: the same requests, numpy's statistics.
    report = subprocess.run([str(BUILD_DIR / "scalestudy"), "report", str(out), "--format",
                             "json"], capture_output=True, text=True, timeout=60, check=False)
    assert report.returncode == 0, report.stderr
    (model,) = [r for r in json.loads(report.stdout)["model_requests"] if r["kind"] == "model"]
    assert model["key"] == "resnet_model" and model["failed"] == 0
    assert model["served"] == len(batches)
    assert model["mean_batch_rows"] == pytest.approx(batches.mean(), rel=1e-12)
    assert model["queue_p50_s"] == pytest.approx(np.percentile(queue, 50), rel=1e-12)
    assert model["compute_p90_s"] == pytest.approx(np.percentile(compute, 90), rel=1e-12)
    table = subprocess.run([str(BUILD_DIR / "scalestudy"), "report", str(out)],
                           capture_output=True, text=True, timeout=60, check=False).stdout
    assert "database: model and script requests" in table and "model resnet_model" in table


def test_inference_baseline_runs_in_process(rank_program, tmp_path):
    out = tmp_path / "baseline.h5"
    done = run_mpi(2, rank_program, "--workload", "inference_baseline", "--model", "tiny_cnn",
                   "--image_size", "32", "--ranks_per_node", "1", "--iterations", "5",
                   "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        assert {"run_script", "run_model", "loop_time", "client_init"} <= set(f["timings"])
        assert "put_tensor" not in f["timings"]


def test_inference_refuses_redis_and_missing_models_before_starting(rank_program, tmp_path):
    done = run_mpi(2, rank_program, *TINY, "--backend", "redis", "--ranks_per_node", "1")
    assert done.returncode == 2
    assert "redis backend has no model runtime" in done.stderr, done.stderr
    missing = tmp_path / "nope.pt"
    done = run_mpi(2, rank_program, "--workload", "inference", "--model", str(missing),
                   "--ranks_per_node", "1")
    assert done.returncode == 2
    assert f"model file {missing} does not exist" in done.stderr, done.stderr


def test_libtorch_is_loaded_only_by_points_that_run_models(rank_program, tmp_path, monkeypatch):
    # With the plugin pointed at nothing, a throughput point still runs (it never loads it) and
    # an inference point fails before its loop, saying what is missing.
    missing = tmp_path / "no_plugin.so"
    monkeypatch.setenv("SCALESTUDY_TORCH_PLUGIN", str(missing))
    done = run_mpi(2, rank_program, "--ranks_per_node", "1", "--iterations", "3",
                   "--output", str(tmp_path / "throughput.h5"))
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_mpi(2, rank_program, *TINY, "--ranks_per_node", "1", "--iterations", "2",
                   "--output", str(tmp_path / "inference.h5"), timeout=120)
    assert done.returncode != 0
    assert f"its plugin is missing (tried {missing})" in done.stderr, done.stderr
    assert not (tmp_path / "inference.h5").exists()
