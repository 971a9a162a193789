"""scalestudy-rank end to end: real MPI jobs, results read back with h5py."""

import math

import h5py
import numpy as np
import pytest

from conftest import run_mpi


def test_throughput_point_writes_a_complete_results_file(rank_program, tmp_path):
    out = tmp_path / "throughput.h5"
    done = run_mpi(5, rank_program, "--workload", "throughput", "--ranks_per_node", "2",
                   "--iterations", "20", "--warmup", "2", "--tensor_bytes", "64KiB",
                   "--verify", "true", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "layout: standard, 5 ranks on 3 virtual nodes: 4 clients, 1 database rank" in done.stdout
    assert not (tmp_path / "throughput.h5.tmp").exists()

    with h5py.File(out, "r") as f:
        for op in ("put_tensor", "unpack_tensor", "raw_put_tensor", "raw_unpack_tensor"):
            seconds = f["timings"][op][()]
            assert seconds.shape == (4, 22), op
            assert not np.isnan(seconds).any(), op
            assert (seconds > 0).all(), op
            assert list(f["rows"][op][()]) == [0, 1, 2, 3]
            warmup = f["warmup"][op][()]
            assert warmup.dtype == np.bool_
            assert warmup.tolist() == [True, True] + [False] * 20
            assert not f["failures"][op][()].any(), f"{op}: verify found mismatches"
        assert f["timings"]["client_init"].shape == (4, 1)
        assert f["timings"]["loop_time"].shape == (4, 1)

        params = f["parameters"].attrs
        assert params["iterations"] == 20
        assert params["warmup"] == 2
        assert params["tensor_bytes"] == 65536
        assert params["workload"] == "throughput"
        assert isinstance(params["verify"], np.bool_) and params["verify"]

        root = f.attrs
        for key in ("scalestudy_version", "git_sha", "git_dirty", "compiler", "mpi_library",
                    "hdf5_version", "command_line", "start_time", "end_time", "parameters_yaml"):
            assert key in root, key
        assert root["world_size"] == 5 and root["n_clients"] == 4 and root["n_database_ranks"] == 1
        assert "Open MPI" in root["mpi_library"]
        assert "--tensor_bytes 64KiB" in root["command_line"]
        assert root["start_time"] <= root["end_time"]

        ranks = f["ranks"]
        roles = [r.decode() for r in ranks["role"][()]]
        assert roles == ["client"] * 4 + ["database"]
        assert ranks["node"][()].tolist() == [0, 0, 1, 1, 2]
        assert ranks["client_index"][()].tolist() == [0, 1, 2, 3, -1]
        assert ranks["shard"][()].tolist() == [-1, -1, -1, -1, 0]
        assert all(len(c) > 0 for c in ranks["cpus"][()])
        assert (ranks["peak_rss_bytes"][()] > 0).all()

        db = f["database"]
        assert db["world_rank"][()].tolist() == [4]
        # 4 clients x 22 iterations of put and unpack, plus hello, goodbye and raw_begin each.
        assert db["requests_put_tensor"][()].tolist() == [88]
        assert db["requests_unpack_tensor"][()].tolist() == [88]
        assert db["requests"][()].tolist() == [88 * 2 + 4 * 3]
        assert db["errors"][()].tolist() == [0]
        assert db["bytes_in"][()].tolist() == [88 * 65536]
        assert db["keys"][()].tolist() == [4]


def test_colocated_point_uses_one_shard_per_node(rank_program, tmp_path):
    out = tmp_path / "colocated.h5"
    done = run_mpi(4, rank_program, "--deployment", "colocated", "--ranks_per_node", "1",
                   "--iterations", "10", "--tensor_bytes", "1KiB", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        roles = [r.decode() for r in f["ranks"]["role"][()]]
        assert roles == ["client", "database", "client", "database"]
        db = f["database"]
        # Each shard served exactly its own node's single client.
        assert db["requests_put_tensor"][()].tolist() == [11, 11]
        assert db["requests_hello"][()].tolist() == [1, 1]


def test_mpi_baseline_records_raw_operations_only(rank_program, tmp_path):
    out = tmp_path / "baseline.h5"
    done = run_mpi(2, rank_program, "--workload", "mpi_baseline", "--ranks_per_node", "1",
                   "--iterations", "5", "--tensor_bytes", "1MiB", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    with h5py.File(out, "r") as f:
        assert set(f["timings"]) == {"client_init", "raw_put_tensor", "raw_unpack_tensor",
                                     "raw_loop_time"}
        assert f["timings"]["raw_put_tensor"].attrs["bytes"] == 1 << 20


def test_impossible_layout_fails_before_any_work_saying_what_to_change(rank_program, tmp_path):
    out = tmp_path / "never.h5"
    # Without ranks_per_node the three ranks share this machine's one real node.
    done = run_mpi(3, rank_program, "--db_nodes", "2", "--output", str(out))
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1, done.stderr  # reported once, not once per rank
    assert "db_nodes=2 but the job has only 1 node" in done.stderr, done.stderr
    assert "lower db_nodes or launch on more nodes" in done.stderr
    assert "emulate nodes with virtual ones: --ranks_per_node 1" in done.stderr
    # With virtual nodes, too many database ranks leave no client.
    done = run_mpi(3, rank_program, "--ranks_per_node", "1", "--db_nodes", "3",
                   "--output", str(out))
    assert done.returncode == 2
    assert "leaves no client; launch at least 4 ranks" in done.stderr, done.stderr
    assert not out.exists() and not (tmp_path / "never.h5.tmp").exists()


def test_bad_point_file_names_file_line_and_suggestion(rank_program, tmp_path):
    point = tmp_path / "point.yaml"
    point.write_text("workload: throughput\niteratons: 5\n")
    done = run_mpi(2, rank_program, "--point", str(point))
    assert done.returncode == 2
    assert f"{point}:2:1: unknown parameter 'iteratons' (did you mean 'iterations'?)" in done.stderr


def test_point_file_and_flags_combine(rank_program, tmp_path):
    point = tmp_path / "point.yaml"
    out = tmp_path / "combined.h5"
    point.write_text(f"iterations: 3\ntensor_bytes: 4KiB\noutput: {out}\n")
    done = run_mpi(2, rank_program, "--point", str(point), "--iterations", "4",
                   "--ranks_per_node", "1")
    assert done.returncode == 0, done.stderr
    with h5py.File(out, "r") as f:
        assert f["parameters"].attrs["iterations"] == 4  # the flag wins
        assert f["parameters"].attrs["tensor_bytes"] == 4096
        assert f["timings"]["put_tensor"].shape == (1, 5)


def test_a_failing_client_aborts_the_job_with_rank_and_message(rank_program, tmp_path):
    out = tmp_path / "oom.h5"
    done = run_mpi(3, rank_program, "--ranks_per_node", "2", "--tensor_bytes", "1MiB",
                   "--db_max_memory", "1MiB", "--output", str(out), timeout=120)
    assert done.returncode != 0
    assert "put_tensor 'throughput_rank_" in done.stderr
    assert "out of memory" in done.stderr
    assert "[rank " in done.stderr
    assert not out.exists()


def test_help_documents_every_parameter(rank_program):
    import subprocess
    text = subprocess.run([str(rank_program), "--help"], capture_output=True, text=True,
                          check=True).stdout
    for name in ("workload", "deployment", "db_nodes", "db_ranks_per_node", "ranks_per_node",
                 "iterations", "warmup", "tensor_bytes", "barrier_each_iteration", "verify",
                 "output", "db_max_memory", "baseline", "--point"):
        assert name in text, name
