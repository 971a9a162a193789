"""scalestudy plan / run / report end to end: sweeps, resume, failures, Ctrl-C, statistics."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import BUILD_DIR, MPI_ENV, SOURCE_DIR, leftovers, run_in_session

SCALESTUDY = BUILD_DIR / "scalestudy"
BAD_STUDIES = sorted((SOURCE_DIR / "tests" / "studies" / "bad").glob("*.yaml"))


def scalestudy(*args, timeout=300, cwd=None):
    """Runs scalestudy in a session of its own (the result's `session`)."""
    env = dict(os.environ, **MPI_ENV)
    return run_in_session([SCALESTUDY, *args], env, timeout, cwd)


def write_study(tmp_path, text, name="e2e"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nresults_dir: {tmp_path / 'results'}\n" + text)
    return path, tmp_path / "results" / name


def statuses(study_dir):
    with h5py.File(study_dir / "index.h5", "r") as f:
        return dict(zip(f["points/id"].asstr()[()], f["points/status"].asstr()[()]))


def no_rank_processes_left(session):
    """No process of the session a test's scalestudy ran in is left: ranks, mpirun, orted."""
    return leftovers(session) == []


@pytest.mark.parametrize("path", BAD_STUDIES, ids=[p.stem for p in BAD_STUDIES])
def test_bad_study_file_is_refused_with_position_and_suggestion(path):
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    done = scalestudy("plan", path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr, f"expected: {expected}\n     got: {done.stderr}"
    assert str(path) in done.stderr
    assert done.stdout == ""


def test_there_are_at_least_fifteen_bad_study_files():
    assert len(BAD_STUDIES) >= 15


def test_missing_study_file_is_refused(tmp_path):
    done = scalestudy("run", tmp_path / "nope.yaml")
    assert done.returncode == 2
    assert f"{tmp_path / 'nope.yaml'}: cannot read study file" in done.stderr


SMALL = """
workload: throughput
iterations: 30
warmup: 3
parameters: {ranks_per_node: 1, verify: true}
sweep:
  client_nodes: [1, 2]
  tensor_bytes: [1KiB, 64KiB]
scaling: weak
timeout_s: 60
"""


def test_plan_lists_points_and_launch_lines_and_runs_nothing(tmp_path):
    study, study_dir = write_study(tmp_path, SMALL)
    done = scalestudy("plan", study)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "4 points" in out
    assert out.count("mpirun -n 2 ") == 2 and out.count("mpirun -n 3 ") == 2
    assert "--point " in out and "scalestudy-rank" in out
    assert "client_nodes=2, tensor_bytes=64KiB" in out
    assert "fixed:" in out and "iterations=30" in out
    assert not study_dir.exists(), "plan must not create anything"
    filtered = scalestudy("plan", study, "--only", "tensor_bytes=65536")
    assert "2 selected by --only" in filtered.stdout


def numpy_stats(seconds, warmup, failed):
    keep = ~warmup[np.newaxis, :] & ~failed
    samples = seconds[keep]
    rates = []
    for row in range(seconds.shape[0]):
        mine = seconds[row][keep[row]]
        if mine.size:
            rates.append(mine.size / mine.sum())
    return {
        "n": samples.size,
        "mean_s": samples.mean(),
        "std_s": samples.std(ddof=1) if samples.size > 1 else 0.0,
        "min_s": samples.min(),
        "p50_s": np.percentile(samples, 50),
        "p90_s": np.percentile(samples, 90),
        "p99_s": np.percentile(samples, 99),
        "max_s": samples.max(),
        "ops_per_s": sum(rates),
    }


def test_run_resume_force_only_and_report_matches_numpy(tmp_path):
    study, study_dir = write_study(tmp_path, SMALL)
    first = scalestudy("run", study)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "4 to run" in first.stdout and "[4/4]" in first.stdout
    assert set(statuses(study_dir).values()) == {"completed"}
    files = sorted(study_dir.glob("points/*/point.h5"))
    assert len(files) == 4
    assert all((f.parent / "log.txt").exists() and (f.parent / "point.yaml").exists()
               for f in files)
    with h5py.File(study_dir / "index.h5", "r") as f:
        for point_id in f["points/id"].asstr()[()]:
            assert "timings" in f["links"][point_id], "external link to the point file"
    stamps = {f: f.stat().st_mtime_ns for f in files}

    again = scalestudy("run", study)
    assert again.returncode == 0 and "4 already done, 0 to run" in again.stdout, again.stdout
    assert {f: f.stat().st_mtime_ns for f in files} == stamps, "completed points were re-run"

    files[0].unlink()
    resumed = scalestudy("run", study)
    assert "3 already done, 1 to run" in resumed.stdout, resumed.stdout
    assert files[0].exists()

    only = scalestudy("run", study, "--only", "tensor_bytes=64KiB", "--force")
    assert "2 of 4 points selected, 0 already done, 2 to run" in only.stdout, only.stdout

    report = scalestudy("report", study_dir, "--format", "json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["title"].startswith("study e2e: 4 points, 4 completed")
    with h5py.File(study_dir / "index.h5", "r") as index:
        ids = list(index["points/id"].asstr()[()])
        paths = {i: study_dir / p for i, p in zip(ids, index["points/file"].asstr()[()])}
    checked = 0
    for row in data["operations"]:
        with h5py.File(paths[row["point_id"]], "r") as f:
            op = row["operation"]
            seconds = f["timings"][op][()]
            expected = numpy_stats(seconds, f["warmup"][op][()], f["failures"][op][()])
            assert row["n"] == expected["n"]
            assert row["clients"] == seconds.shape[0]
            for key in ("mean_s", "std_s", "min_s", "p50_s", "p90_s", "p99_s", "max_s"):
                assert row[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-15), (op, key)
            if seconds.shape[1] > 1:
                assert row["ops_per_s"] == pytest.approx(expected["ops_per_s"], rel=1e-12)
                assert row["bytes_per_s"] == pytest.approx(
                    expected["ops_per_s"] * f["timings"][op].attrs["bytes"], rel=1e-12)
            checked += 1
    assert checked == 4 * 7

    # Weak scaling: efficiency T1/Tp with T the slowest client's loop_time.
    times = {}
    for point_id, path in paths.items():
        with h5py.File(path, "r") as f:
            times[point_id] = (int(f["parameters"].attrs["client_nodes"]),
                               int(f["parameters"].attrs["tensor_bytes"]),
                               f["timings/loop_time"][()].max())
    assert len(data["scaling"]) == 4
    for row in data["scaling"]:
        clients, size, t = times[row["point_id"]]
        t1 = next(v[2] for v in times.values() if v[0] == 1 and v[1] == size)
        assert row["clients"] == clients
        assert row["time_s"] == pytest.approx(t, rel=1e-12)
        assert row["efficiency"] == pytest.approx(t1 / t, rel=1e-12)
        assert row["speedup"] == pytest.approx(clients * t1 / t, rel=1e-12)

    table = scalestudy("report", study_dir)
    assert "put_tensor" in table.stdout and "efficiency" in table.stdout
    csv = scalestudy("report", study_dir, "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("point_id,varied,operation,n,mean_s") and len(csv) == 1 + 4 * 7
    markdown = scalestudy("report", study_dir, "--format", "markdown").stdout
    assert "| put_tensor" in markdown


def test_failing_and_timed_out_points_are_recorded_and_the_sweep_goes_on(tmp_path):
    study, study_dir = write_study(tmp_path, """
workload: throughput
warmup: 1
parameters: {client_nodes: 1, ranks_per_node: 1, db_max_memory: 64KiB}
zip:
  - tensor_bytes: [1KiB, 1MiB, 4, 16KiB]
    iterations: [20, 20, 20000000, 20]
timeout_s: 3
""")
    start = time.monotonic()
    done = scalestudy("run", study, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - start < 60
    assert "2 completed, 2 failed" in done.stdout
    assert no_rank_processes_left(done.session)
    with h5py.File(study_dir / "index.h5", "r") as f:
        rows = {k: f["points"][k].asstr()[()] if f["points"][k].dtype.kind == "O"
                else f["points"][k][()] for k in f["points"]}
    by_varied = {v: i for i, v in enumerate(rows["varied"])}
    oom = by_varied["tensor_bytes=1MiB, iterations=20"]
    assert rows["status"][oom] == "failed"
    assert rows["exit_status"][oom] != 0
    assert rows["reason"][oom].startswith("exited with status")
    assert "out of memory" in rows["log_tail"][oom]
    slow = by_varied["tensor_bytes=4, iterations=20000000"]
    assert rows["status"][slow] == "timeout"
    assert rows["reason"][slow] == "ran longer than timeout_s=3 s; its process group was killed"
    assert 3 <= rows["duration_s"][slow] < 15
    for ok in ("tensor_bytes=1KiB, iterations=20", "tensor_bytes=16KiB, iterations=20"):
        assert rows["status"][by_varied[ok]] == "completed"

    report = scalestudy("report", study_dir)
    assert "not completed" in report.stdout and "timeout: ran longer" in report.stdout

    again = scalestudy("run", study, timeout=120)
    assert "2 already done, 2 to run" in again.stdout, again.stdout


def test_ctrl_c_stops_the_sweep_and_a_rerun_runs_only_the_missing_points(tmp_path):
    study, study_dir = write_study(tmp_path, """
workload: throughput
warmup: 1
parameters: {client_nodes: 1, ranks_per_node: 1, tensor_bytes: 1MiB}
sweep:
  iterations: [4000, 4001, 4002, 4003, 4004, 4005]
timeout_s: 60
""")
    env = dict(os.environ, **MPI_ENV)
    run = subprocess.Popen([str(SCALESTUDY), "run", str(study)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=env,
                           start_new_session=True)
    seen = ""
    while "[2/6]" not in seen:  # the first point completed, the second is running
        line = run.stdout.readline()
        assert line, "scalestudy ended early:\n" + seen
        seen += line
    time.sleep(0.3)
    run.send_signal(signal.SIGINT)
    rest, _ = run.communicate(timeout=60)
    seen += rest
    assert run.returncode == 130, seen
    assert "interrupted" in seen and "run the same command again" in seen
    assert no_rank_processes_left(run.pid)
    status = statuses(study_dir)
    done_before = sum(s == "completed" for s in status.values())
    assert 1 <= done_before < 6, status
    assert set(status.values()) <= {"completed", "interrupted", "pending"}, status

    resumed = scalestudy("run", study, timeout=120)
    assert resumed.returncode == 0, resumed.stdout
    assert f"{done_before} already done, {6 - done_before} to run" in resumed.stdout
    assert set(statuses(study_dir).values()) == {"completed"}


def test_colocated_study_points_run(tmp_path):
    # A resolved point lists every parameter, db_nodes: 1 included: colocated must accept it.
    study, study_dir = write_study(tmp_path, """
workload: throughput
deployment: colocated
iterations: 10
parameters: {ranks_per_node: 1, db_ranks_per_node: 1}
sweep:
  client_nodes: [1, 2]
timeout_s: 60
""")
    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(statuses(study_dir).values()) == {"completed"}


@pytest.mark.skipif(os.environ.get("SCALESTUDY_HAVE_REDIS", "ON").upper() in ("OFF", "0", "FALSE"),
                    reason="built without the redis backend")
def test_report_compares_backends_side_by_side_with_the_raw_baseline(tmp_path):
    study, study_dir = write_study(tmp_path, """
workload: throughput
iterations: 30
parameters: {client_nodes: 1, ranks_per_node: 1, baseline: true}
sweep:
  tensor_bytes: [1KiB, 64KiB]
  backend: [mpi, redis]
report: {compare: backend}
timeout_s: 60
""")
    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(scalestudy("report", study_dir, "--format", "json").stdout)
    comparison = data["comparison"]
    assert comparison["key"] == "backend" and comparison["values"] == ["mpi", "redis"]
    rows = {(r["group"], r["operation"]): r for r in comparison["rows"]}
    assert set(rows) == {(f"tensor_bytes={s}", op) for s in ("1KiB", "64KiB")
                         for op in ("put_tensor", "unpack_tensor")}
    stats = {(r["varied"], r["operation"]): r for r in data["operations"]}
    for (group, op), row in rows.items():
        size = group.split("=")[1]
        for backend in ("mpi", "redis"):
            expected = stats[(f"tensor_bytes={size}, backend={backend}", op)]["p50_s"]
            assert row["cells"][backend]["p50_s"] == pytest.approx(expected, rel=1e-12)
        raw = stats[(f"tensor_bytes={size}, backend=mpi", "raw_" + op)]
        assert row["cells"]["raw"]["p50_s"] == pytest.approx(raw["p50_s"], rel=1e-12)
        nbytes = 1024 if size == "1KiB" else 65536
        assert row["cells"]["mpi"]["bandwidth"] == pytest.approx(
            nbytes / row["cells"]["mpi"]["p50_s"], rel=1e-12)
    table = scalestudy("report", study_dir).stdout
    assert "comparison by backend" in table and "redis/mpi p50" in table and "mpi/raw GB/s" in table
    bad = scalestudy("report", study_dir, "--compare", "deployment")
    assert bad.returncode == 2 and "not a swept parameter" in bad.stderr
