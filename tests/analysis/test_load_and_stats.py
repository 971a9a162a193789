"""Loaders on real point files, and statistics equal to numpy's and to `scalestudy report`'s."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import report_include_flagged, report_json
from scalestudy_analysis import load_point, load_study, outliers, stats
from scalestudy_analysis.load import SAMPLE_COLUMNS, failed_points

RELATIVE = 1e-12


@pytest.fixture(scope="module")
def study(study_dir):
    return load_study(study_dir)


def test_points_frame_has_every_point_with_status_and_parameters(study):
    points = study.points
    assert len(points) == 12
    assert (points["status"] == "completed").sum() == 10
    assert set(points.loc[points["status"] == "failed", "tensor_bytes"]) == {16384}
    assert set(points.loc[points["status"] == "failed", "client_nodes"]) == {3}
    assert list(points["clients"]) == list(points["client_nodes"] * points["ranks_per_node"])
    # Divided iterations: 60 in total over the clients of each point.
    assert set(points["iterations"] * points["clients"]) == {60}
    assert study.scaling_mode == "strong" and study.divided_keys == ["iterations"]
    assert study.config_keys == ["tensor_bytes"]


def test_failed_points_frame_has_reason_and_log_tail(study):
    failed = failed_points(study)
    assert len(failed) == 2
    assert set(failed["status"]) == {"failed"}
    assert all(failed["exit_status"] != 0)
    assert all(reason.startswith("exited with status") for reason in failed["reason"])
    assert all("out of memory" in tail for tail in failed["log_tail"])


def test_tidy_samples_equal_the_hdf5_datasets(study, study_dir):
    samples = study.samples
    for column in (*SAMPLE_COLUMNS, "clients", "tensor_bytes", "repetition", "iterations"):
        assert column in samples.columns, column
    for pid, file in zip(study.completed["id"], study.completed["file"]):
        with h5py.File(study_dir / file, "r") as f:
            hostnames = f["ranks/hostname"].asstr()[()]
            nodes = f["ranks/node"][()]
            for op in f["timings"]:
                seconds = f["timings"][op][()]
                mine = samples[(samples["point_id"] == pid) & (samples["operation"] == op)]
                assert len(mine) == seconds.size
                rows = f["rows"][op][()]
                grid = mine.pivot(index="rank", columns="iteration", values="seconds")
                np.testing.assert_array_equal(grid.loc[rows].to_numpy(), seconds)
                warm = mine[mine["rank"] == rows[0]].sort_values("iteration")["warmup"]
                np.testing.assert_array_equal(warm.to_numpy(), f["warmup"][op][()])
                assert (mine["failed"].to_numpy() == f["failures"][op][()].reshape(-1)).all()
                by_rank = mine.drop_duplicates("rank").set_index("rank")
                assert list(by_rank.loc[rows, "node"]) == list(nodes[rows])
                assert list(by_rank.loc[rows, "hostname"].astype(str)) == list(hostnames[rows])
                assert set(by_rank["role"].astype(str)) == {"client"}
    assert study.samples["warmup"].any() and not study.samples["failed"].any()


def test_one_point_file_loads_as_a_study_of_one_point(study_dir, study):
    file = study_dir / study.completed["file"].iloc[0]
    one = load_point(file)
    assert list(one.points["id"]) == [file.parent.name]
    assert len(one.samples) == (study.samples["point_id"] == file.parent.name).sum()
    assert not one.provenance.empty and "git_sha" in one.provenance.columns


def test_provenance_holds_every_point_root_attributes(study):
    prov = study.provenance
    assert len(prov) == 10
    for column in ("git_sha", "scalestudy_version", "start_time", "end_time", "command_line",
                   "mpi_library", "hdf5_version", "compiler"):
        assert prov[column].astype(str).str.len().min() > 0, column


def _close(ours: float, theirs) -> bool:
    if theirs is None:
        return math.isnan(ours)
    if theirs == 0:
        return ours == 0
    return abs(ours - theirs) <= RELATIVE * abs(theirs)


@pytest.mark.parametrize("flags", [(), ("--include-warmup",), ("--include-failed",)])
def test_summary_equals_scalestudy_report(study, study_dir, flags):
    report = report_json(study_dir, *flags)
    ours = stats.summarize(study.samples, study.operations, study.points,
                           include_warmup="--include-warmup" in flags,
                           include_failed="--include-failed" in flags)
    assert len(ours) == len(report["operations"]) == 10 * 7
    for row, theirs in zip(ours.to_dict("records"), report["operations"]):
        for key, value in theirs.items():
            if isinstance(value, str):
                assert row[key] == value, key
            else:
                assert _close(row[key], value), (theirs["point_id"], theirs["operation"], key,
                                                 row[key], value)


def test_summary_equals_numpy_on_the_same_samples(study):
    summary = stats.summarize(study.samples, study.operations, study.points)
    s = study.samples
    for row in summary.itertuples():
        mine = s[(s["point_id"] == row.point_id) & (s["operation"] == row.operation)]
        kept = mine[~mine["warmup"] & ~mine["failed"] & mine["seconds"].notna()]
        x = kept["seconds"].to_numpy()
        assert row.n == x.size
        assert row.mean_s == pytest.approx(np.mean(x), rel=RELATIVE)
        assert row.std_s == pytest.approx(np.std(x, ddof=1) if x.size > 1 else 0.0,
                                          rel=RELATIVE)
        for q, value in zip((50, 90, 99), (row.p50_s, row.p90_s, row.p99_s)):
            assert value == pytest.approx(np.percentile(x, q), rel=RELATIVE)
        assert (row.min_s, row.max_s) == (x.min(), x.max())
        rate = sum(len(g) / g.sum() for _, g in kept.groupby("rank")["seconds"])
        if mine["iteration"].max() > 0:
            assert row.ops_per_s == pytest.approx(rate, rel=RELATIVE)
        else:
            assert math.isnan(row.ops_per_s)


def test_scaling_equals_scalestudy_report(study, study_dir):
    # Every point, whatever this machine's cores flagged (flagged points: test_flags.py).
    report = report_json(study_dir, *report_include_flagged())["scaling"]
    obs = stats.scaling_observations(study.samples, study.points, study.swept_keys,
                                     study.divided_keys)
    ours = stats.scaling_table(obs, study.scaling_mode, include_flagged=True)
    assert len(ours) == len(report) == 5   # 1KiB at 1, 2, 3 clients; 16KiB at 1, 2
    for row, theirs in zip(ours.to_dict("records"), report):
        for key in ("group", "point_id", "varied", "clients"):
            assert row[key] == theirs[key], key
        for key in ("time_s", "speedup", "efficiency"):
            assert _close(row[key], theirs[key]), key
    assert set(ours["repetitions"]) == {2}


def test_stragglers_mark_a_slow_rank_beyond_the_threshold():
    rng = np.random.default_rng(0)
    rows = []
    for rank in range(6):
        slow = 2.0 if rank == 4 else 1.0
        for i, x in enumerate(rng.normal(1e-5 * slow, 1e-7, 50)):
            rows.append({"point_id": "p", "operation": "put_tensor", "rank": rank,
                         "node": rank // 2, "hostname": f"h{rank // 2}", "iteration": i,
                         "seconds": x, "warmup": False, "failed": False})
    samples = pd.DataFrame(rows)
    ranks = stats.stragglers(samples, ratio=1.5)
    assert list(ranks.loc[ranks["straggler"], "rank"]) == [4]
    assert ranks.loc[ranks["rank"] == 4, "ratio"].iloc[0] == pytest.approx(2.0, rel=0.05)
    nodes = stats.stragglers(samples, level="node", ratio=1.4)
    assert list(nodes.loc[nodes["straggler"], "node"]) == [2]   # node 2 median ~1.5x
    assert not stats.stragglers(samples, ratio=2.5)["straggler"].any()


def _synthetic(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"point_id": "p", "operation": "op", "rank": 0,
                         "iteration": np.arange(values.size), "seconds": values,
                         "warmup": np.arange(values.size) < 2, "failed": False})


def test_outliers_are_flagged_never_deleted_and_exclusion_is_reversible(study):
    rng = np.random.default_rng(1)
    values = rng.normal(1e-5, 1e-7, 200)
    values[[50, 120]] = [5e-5, 9e-5]
    values[0] = 1.0  # a warm-up sample: never flagged, it has its own flag
    flagged = outliers.flag_outliers(_synthetic(values))
    assert len(flagged) == 200 and (flagged["seconds"].to_numpy() == values).all()
    assert list(np.flatnonzero(flagged["outlier"])) == [50, 120]
    assert flagged.attrs["outlier_policy"] == {"method": "mad", "threshold": 3.5,
                                               "min_samples": outliers.MIN_SAMPLES}
    iqr = outliers.flag_outliers(_synthetic(values), method="iqr", threshold=3.0)
    assert {50, 120} <= set(np.flatnonzero(iqr["outlier"]))
    # Over half the samples equal: MAD is 0, the mean absolute deviation takes over.
    ties = np.full(100, 1e-5)
    ties[:30] = 1.1e-5
    ties[99] = 1e-3
    assert list(np.flatnonzero(outliers.flag_outliers(_synthetic(ties))["outlier"])) == [99]
    # On the real study: statistics keep flagged samples unless asked, and give them back.
    real = outliers.flag_outliers(study.samples)
    assert real["outlier"].any()
    kept = stats.summarize(real, study.operations)
    dropped = stats.summarize(real, study.operations, exclude_outliers=True)
    assert (kept["n"] - dropped["n"]).sum() == real["outlier"].sum()
    assert kept.equals(stats.summarize(study.samples, study.operations))


def test_inference_group_is_loaded_when_present(inference_dir):
    study = load_study(inference_dir)
    assert {"queue_s", "compute_s", "batch_size", "request"} <= set(study.inference.columns)
    assert set(study.inference["point_id"]) == set(study.completed["id"])
    assert {"run_script", "run_model"} <= set(study.samples["operation"])
    summary = stats.summarize(study.samples, study.operations, study.points)
    table = stats.iteration_breakdown(summary, study.points, study.inference)
    assert {"put_tensor", "run_script", "run_model", "unpack_tensor", "queue_s",
            "compute_s", "batch_size"} <= set(table.columns)
    np.testing.assert_allclose(table["run_model"], 5 * table["put_tensor"], rtol=1e-9)
