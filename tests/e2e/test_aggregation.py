"""The aggregation workload end to end: producers, a database and a consumer in one MPI job,
with the C++ consumer, the Python consumer (an MPMD job) and every backend; results read with
h5py."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import BUILD_DIR, MPI_ENV, MPIEXEC, SOURCE_DIR, run_mpi

PYTHON_PACKAGE = BUILD_DIR / "python"
HAVE_REDIS = os.environ.get("SCALESTUDY_HAVE_REDIS") != "OFF"
needs_python_package = pytest.mark.skipif(
    not (PYTHON_PACKAGE / "scalestudy" / "consumer.py").exists(),
    reason="built without the Python package (pybind11)")


def aggregation_args(out, *overrides):
    """2 producers (virtual nodes of one), 1 database rank, 1 consumer: 4 ranks; `overrides`
    are "--name", "value" pairs."""
    params = {"workload": "aggregation", "consumers": "1", "ranks_per_node": "1",
              "client_nodes": "2", "iterations": "6", "warmup": "1", "tensor_bytes": "64KiB",
              "producer_poll_ms": "2", "verify": "true", "client_threads": "4",
              "output": str(out)}
    params.update({name[2:]: value for name, value in zip(overrides[::2], overrides[1::2])})
    return [word for name, value in params.items() for word in (f"--{name}", value)]


def roles(f):
    return [r.decode() for r in f["ranks/role"][()]]


def check_aggregation_file(out, backend, consumer_rank=3):
    """Every operation of both roles, in the right rows, none failed verification."""
    with h5py.File(out, "r") as f:
        assert roles(f) == ["client", "client", "database", "consumer"]
        assert f["ranks/client_index"][()].tolist() == [0, 1, -1, 0]
        consumer_ops = {"poll_list": 7, "get_list": 7, "loop_time": 1}
        producer_ops = {"put_dataset": 7, "append_to_list": 7, "producer_loop_time": 1}
        for op, samples in {**consumer_ops, **producer_ops}.items():
            rows = f["rows"][op][()].tolist()
            assert rows == ([consumer_rank] if op in consumer_ops else [0, 1]), op
            seconds = f["timings"][op][()]
            assert seconds.shape == (len(rows), samples), op
            assert not np.isnan(seconds).any() and (seconds > 0).all(), op
            assert not f["failures"][op][()].any(), f"{op}: verification failed"
        assert f["rows/client_init"][()].tolist() == [0, 1, consumer_rank]
        # get_list moves every producer's 4 tensors of 64 KiB.
        assert f["timings/get_list"].attrs["bytes"] == 2 * 4 * 65536
        assert f["warmup/get_list"][()].tolist() == [True] + [False] * 6
        assert f["parameters"].attrs["backend"] == backend
        db = f["database"]
        if backend != "fs":  # the fs backend's database rank sees no data requests
            assert db["requests_append_to_list"][()].tolist() == [14]
            assert db["requests_get_datasets_from_list"][()].tolist() == [7]
            assert db["requests_get_dataset"][()].tolist() == [14]
            assert db["requests_delete_list"][()].tolist() == [7]
        return {op: float(np.median(f["timings"][op][()])) for op in f["timings"]}


def test_cpp_consumer_fetches_every_producers_datasets_verified(rank_program, tmp_path):
    out = tmp_path / "agg.h5"
    done = run_mpi(4, rank_program, *aggregation_args(out), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 clients, 1 database rank, 1 consumer" in done.stdout
    assert "consumers on ranks 3" in done.stdout
    medians = check_aggregation_file(out, "mpi")
    # The C++ consumer polls every 5 ms: most polls wait for the producers.
    assert medians["poll_list"] < 1.0


@pytest.mark.skipif(not HAVE_REDIS, reason="built without SCALESTUDY_ENABLE_REDIS")
def test_redis_backend_serves_lists_and_datasets(rank_program, tmp_path):
    out = tmp_path / "agg_redis.h5"
    done = run_mpi(4, rank_program, *aggregation_args(out, "--backend", "redis"), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    check_aggregation_file(out, "redis")


def test_fs_backend_reads_files_with_reader_threads_and_cleans_up(rank_program, tmp_path):
    out = tmp_path / "agg_fs.h5"
    done = run_mpi(4, rank_program, *aggregation_args(out, "--backend", "fs"), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    check_aggregation_file(out, "fs")
    assert not (tmp_path / "agg_fs.h5.fs").exists(), "the shared directory outlived the job"
    with h5py.File(out, "r") as f:
        # Every list was deleted: the dataset files of the producers were all that was left.
        assert f["database/keys"][()].tolist() == [2]


def run_mpmd(producers_and_db, consumer_args, *args, timeout=180):
    """mpirun -n N scalestudy-rank ARGS : -n 1 python3 -m scalestudy.consumer ARGS."""
    env = dict(os.environ, **MPI_ENV, PYTHONPATH=str(PYTHON_PACKAGE))
    command = [MPIEXEC, "--oversubscribe", "-x", "PYTHONPATH",
               "-n", str(producers_and_db), str(BUILD_DIR / "scalestudy-rank"), *args,
               ":", "-n", "1", "-x", "PYTHONPATH", sys.executable, "-m", "scalestudy.consumer",
               *consumer_args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


@needs_python_package
def test_python_consumer_in_an_mpmd_job_records_into_the_same_file(tmp_path):
    out = tmp_path / "agg_py.h5"
    point = tmp_path / "point.yaml"
    args = aggregation_args(out, "--consumer_language", "python")
    point.write_text("".join(f"{name[2:]}: {value}\n" for name, value in zip(args[::2], args[1::2])))
    done = run_mpmd(3, ["--point", str(point)], "--point", str(point))
    assert done.returncode == 0, done.stdout + done.stderr
    medians = check_aggregation_file(out, "mpi")
    # The reference's Python consumer polls every 50 ms and times poll_list after its barrier.
    assert medians["poll_list"] >= 0.045
    with h5py.File(out, "r") as f:
        assert f.attrs["command_line"].startswith(str(BUILD_DIR / "scalestudy-rank"))
        assert f["parameters"].attrs["consumer_language"] == "python"


@needs_python_package
def test_python_module_exposes_datasets_as_numpy_views(tmp_path):
    code = """
import numpy as np, scalestudy
d = scalestudy.DataSet("d")
a = np.arange(12, dtype=np.float32).reshape(3, 4)
d.add_tensor("a", a)
d.add_meta_string("k", "v")
t = d.get_tensor("a")
assert t.shape == (3, 4) and t.dtype == np.float32 and (t == a).all()
assert not t.flags.writeable and np.shares_memory(t, a), "a view of the array, not a copy"
assert d.get_meta_strings("k") == ["v"] and d.tensor_names() == ["a"]
try:
    d.add_tensor("b", a[:, ::2])
    raise SystemExit("a strided array was accepted")
except ValueError as error:
    assert "C-contiguous" in str(error)
try:
    scalestudy.DataSet("")
    raise SystemExit("an empty name was accepted")
except scalestudy.StoreError as error:
    assert "empty" in str(error)
print("ok", scalestudy.MPI.Query_thread() == scalestudy.MPI.THREAD_FUNNELED)
"""
    env = dict(os.environ, **MPI_ENV, PYTHONPATH=str(PYTHON_PACKAGE))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok True"


@needs_python_package
def test_a_cpp_rank_in_the_consumers_place_is_refused(rank_program, tmp_path):
    out = tmp_path / "wrong.h5"
    done = run_mpi(4, rank_program, *aggregation_args(out, "--consumer_language", "python"),
                   timeout=120)
    assert done.returncode != 0
    assert "python3 -m scalestudy.consumer" in done.stderr
    assert not out.exists()


def test_aggregation_without_a_consumer_is_refused_before_any_work(rank_program, tmp_path):
    done = run_mpi(3, rank_program, *aggregation_args(tmp_path / "x.h5", "--consumers", "0"),
                   timeout=60)
    assert done.returncode == 2
    assert "aggregation needs consumer ranks: set consumers: 1" in done.stderr
    done = run_mpi(4, rank_program, "--consumers", "1", "--ranks_per_node", "1",
                   "--output", str(tmp_path / "y.h5"), timeout=60)
    assert done.returncode == 2
    assert "workload throughput has no consumer ranks; set consumers: 0" in done.stderr


def test_a_list_that_never_fills_aborts_the_job_naming_it(rank_program, tmp_path):
    # The consumer polls each list once: list 0 before the producers have appended (or, if they
    # were quick, list 1 while producer 0 sleeps 3 s), and gives up.
    out = tmp_path / "timeout.h5"
    done = run_mpi(4, rank_program,
                   *aggregation_args(out, "--producer_poll_ms", "3000", "--poll_tries", "1",
                                     "--poll_interval_ms", "1", "--warmup", "0"), timeout=120)
    assert done.returncode != 0
    assert "did not reach 2 datasets after 1 polls 1 ms apart" in done.stderr
    assert "list 'iteration_" in done.stderr
    assert not out.exists()


@needs_python_package
def test_study_plans_and_runs_a_python_consumer_point_as_an_mpmd_job(tmp_path):
    study = tmp_path / "agg.yaml"
    text = (SOURCE_DIR / "studies" / "aggregation_python_local.yaml").read_text()
    study.write_text(text.replace("name: aggregation_python_local",
                                  f"name: agg\nresults_dir: {tmp_path / 'results'}"))
    env = dict(os.environ, **MPI_ENV)
    scalestudy = str(BUILD_DIR / "scalestudy")
    plan = subprocess.run([scalestudy, "plan", str(study)], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert plan.returncode == 0, plan.stderr
    assert "9 points" in plan.stdout
    assert " : -n 1 " in plan.stdout and "-m scalestudy.consumer --point" in plan.stdout
    run = subprocess.run([scalestudy, "run", str(study), "--only", "client_nodes=2",
                          "--only", "tensor_bytes=1024"], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    (point,) = (tmp_path / "results" / "agg" / "points").glob("*/point.h5")
    with h5py.File(point, "r") as f:
        assert roles(f) == ["client", "client", "database", "consumer"]
        assert f["timings/get_list"].shape == (1, 21)
        assert not f["failures/get_list"][()].any()
        assert f["parameters"].attrs["consumer_language"] == "python"
