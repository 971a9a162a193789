"""scalestudy-rank with the redis backend: real redis-server processes, results read with h5py."""

import os

import h5py
import numpy as np
import pytest

from conftest import leftovers, run_mpi

pytestmark = pytest.mark.skipif(os.environ.get("SCALESTUDY_HAVE_REDIS") == "OFF",
                                reason="built without SCALESTUDY_ENABLE_REDIS")


def test_redis_throughput_point_records_store_and_raw_timings(rank_program, tmp_path):
    out = tmp_path / "redis.h5"
    done = run_mpi(3, rank_program, "--backend", "redis", "--ranks_per_node", "2",
                   "--iterations", "20", "--warmup", "2", "--tensor_bytes", "64KiB",
                   "--verify", "true", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "layout: standard, 3 ranks on 2 virtual nodes: 2 clients, 1 database rank" in done.stdout
    assert not leftovers(done.session, "redis-server"), "redis-server outlived the job"

    with h5py.File(out, "r") as f:
        assert f["parameters"].attrs["backend"] == "redis"
        for op in ("put_tensor", "unpack_tensor", "raw_put_tensor", "raw_unpack_tensor"):
            seconds = f["timings"][op][()]
            assert seconds.shape == (2, 22), op
            assert not np.isnan(seconds).any() and (seconds > 0).all(), op
            assert f["timings"][op].attrs["bytes"] == 65536, op
            assert not f["failures"][op][()].any(), f"{op}: verify found mismatches"
        db = f["database"]
        assert db["world_rank"][()].tolist() == [2]
        # Redis' own command counts: 2 clients x 22 iterations of SET and GET.
        assert db["requests_put_tensor"][()].tolist() == [44]
        assert db["requests_unpack_tensor"][()].tolist() == [44]
        # Control frames still go over MPI to the database rank.
        assert db["requests_hello"][()].tolist() == [2]
        assert db["requests_goodbye"][()].tolist() == [2]
        assert db["requests_raw_begin"][()].tolist() == [2]
        assert db["errors"][()].tolist() == [0]
        assert db["keys"][()].tolist() == [2]
        assert db["memory_bytes"][()][0] > 2 * 65536  # Redis' used_memory: values + overhead
        assert db["bytes_in"][()][0] > 44 * 65536


def test_redis_colocated_point_gives_each_node_its_own_server(rank_program, tmp_path):
    out = tmp_path / "colocated.h5"
    done = run_mpi(4, rank_program, "--backend", "redis", "--deployment", "colocated",
                   "--ranks_per_node", "1", "--iterations", "10", "--tensor_bytes", "1KiB",
                   "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not leftovers(done.session, "redis-server"), "redis-server outlived the job"
    with h5py.File(out, "r") as f:
        db = f["database"]
        assert db["requests_put_tensor"][()].tolist() == [11, 11]
        assert db["requests_hello"][()].tolist() == [1, 1]
        assert db["keys"][()].tolist() == [1, 1]


def test_a_failing_redis_job_aborts_and_leaves_no_server(rank_program, tmp_path):
    out = tmp_path / "oom.h5"
    # Redis' maxmemory (db_max_memory) refuses the writes; the client aborts the whole job, and
    # the database rank dies with it before it can stop its server.
    done = run_mpi(3, rank_program, "--backend", "redis", "--ranks_per_node", "2",
                   "--tensor_bytes", "1MiB", "--db_max_memory", "1MiB", "--output", str(out),
                   timeout=120)
    assert done.returncode != 0
    assert "put_tensor 'throughput_rank_" in done.stderr, done.stderr
    assert "(redis 127.0.0.1:" in done.stderr and ", SET): out of memory" in done.stderr
    assert not out.exists()
    assert not leftovers(done.session, "redis-server"), "redis-server outlived the job"
