"""Loaders on real point files, and statistics equal to numpy's and to `scalestudy report`'s."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import raw_kept, report_include_flagged, report_json
from scalestudy_analysis import load_point, load_study, outliers, stats
from scalestudy_analysis.load import SAMPLE_COLUMNS, failed_points
from scalestudy_analysis.samples import Samples

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


def test_columnar_samples_are_the_hdf5_datasets_read_lazily(study_dir):
    study = load_study(study_dir)   # its own: nothing read yet
    assert not any(data.loaded for data in study.samples)
    assert len(study.samples) == int((study.operations["rows"]
                                      * study.operations["samples"]).sum())
    for pid, file in zip(study.completed["id"], study.completed["file"]):
        with h5py.File(study_dir / file, "r") as f:
            assert [d.operation for d in study.samples.of_point(pid)] == list(f["timings"])
            for op in f["timings"]:
                data = study.samples.get(pid, op)
                assert data.shape == f["timings"][op].shape and not data.loaded
                np.testing.assert_array_equal(data.ranks, f["rows"][op][()])
                np.testing.assert_array_equal(data.warmup, f["warmup"][op][()])
                np.testing.assert_array_equal(data.seconds, f["timings"][op][()])
                np.testing.assert_array_equal(data.failed, f["failures"][op][()])
                assert data.loaded and data.seconds.dtype == np.float64
                assert data.bytes == f["timings"][op].attrs["bytes"]
    # Rank attributes are a small table per point, strings categorical.
    assert isinstance(study.ranks["hostname"].dtype, pd.CategoricalDtype)
    assert study.samples.nbytes() == sum(d.seconds.nbytes + d.failed.nbytes
                                         for d in study.samples)
    study.samples.release()
    assert not any(data.loaded for data in study.samples)


def test_tidy_samples_equal_the_hdf5_datasets(study, study_dir):
    samples = study.samples.frame()
    for column in (*SAMPLE_COLUMNS, "clients", "tensor_bytes", "repetition", "iterations"):
        assert column in samples.columns, column
    for column in ("hostname", "role", "flags"):
        assert isinstance(samples[column].dtype, pd.CategoricalDtype), column
    for pid, file in zip(study.completed["id"], study.completed["file"]):
        with h5py.File(study_dir / file, "r") as f:
            hostnames = f["ranks/hostname"].asstr()[()]
            nodes = f["ranks/node"][()]
            params = dict(f["parameters"].attrs)
            for op in f["timings"]:
                seconds = f["timings"][op][()]
                mine = samples[(samples["point_id"] == pid) & (samples["operation"] == op)]
                assert len(mine) == seconds.size
                assert len(study.samples.frame(pid, op)) == seconds.size
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
                assert set(mine["tensor_bytes"]) == {params["tensor_bytes"]}
    assert samples["warmup"].any() and not samples["failed"].any()


def test_samples_from_a_tidy_frame_round_trip(study):
    pid = study.completed["id"].iloc[0]
    tidy = study.samples.frame(pid)
    again = Samples.from_frame(tidy)
    for data in study.samples.of_point(pid):
        copy = again.get(pid, data.operation)
        np.testing.assert_array_equal(copy.seconds, data.seconds)
        np.testing.assert_array_equal(copy.failed, data.failed)
        np.testing.assert_array_equal(copy.warmup, data.warmup)
        np.testing.assert_array_equal(copy.ranks, data.ranks)
        assert copy.flags == data.flags
    assert again.points["tensor_bytes"].tolist() == [study.samples.context(pid)["tensor_bytes"]]
    pd.testing.assert_frame_equal(stats.summarize(again, study.operations[
        study.operations["point_id"] == pid]), stats.summarize(study.samples, study.operations[
            study.operations["point_id"] == pid]))


def test_one_point_file_loads_as_a_study_of_one_point(study_dir, study):
    file = study_dir / study.completed["file"].iloc[0]
    one = load_point(file)
    assert list(one.points["id"]) == [file.parent.name]
    assert len(one.samples) == sum(d.size for d in study.samples.of_point(file.parent.name))
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


@pytest.mark.parametrize("selection", [{}, {"include_warmup": True},
                                       {"include_failed": True}])
def test_summary_equals_numpy_on_the_raw_samples(study, study_dir, selection):
    summary = stats.summarize(study.samples, study.operations, study.points, **selection)
    files = dict(zip(study.completed["id"], study.completed["file"]))
    for row in summary.itertuples():
        file = study_dir / files[row.point_id]
        x = raw_kept(file, row.operation, **selection)
        assert row.n == x.size
        assert row.mean_s == pytest.approx(np.mean(x), rel=RELATIVE)
        assert row.std_s == pytest.approx(np.std(x, ddof=1) if x.size > 1 else 0.0,
                                          rel=RELATIVE)
        for q, value in zip((50, 90, 99), (row.p50_s, row.p90_s, row.p99_s)):
            assert value == np.percentile(x, q)
        assert (row.min_s, row.max_s) == (x.min(), x.max())
        with h5py.File(file, "r") as f:
            seconds = f["timings"][row.operation][()]
            keep = ~np.isnan(seconds)
            if not selection.get("include_warmup"):
                keep &= ~f["warmup"][row.operation][()][np.newaxis, :]
            if not selection.get("include_failed"):
                keep &= ~f["failures"][row.operation][()]
        rate = sum(k.sum() / s[k].sum() for s, k in zip(seconds, keep) if s[k].sum() > 0)
        if seconds.shape[1] > 1:
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


def test_stragglers_quantiles_are_numpys_per_rank_and_per_node(study, study_dir):
    ranks = stats.stragglers(study.samples, level="rank")
    nodes = stats.stragglers(study.samples, level="node")
    quantiles = (("p05_s", 0.05), ("p25_s", 0.25), ("p75_s", 0.75), ("p95_s", 0.95))
    checked = 0
    for pid, file in zip(study.completed["id"], study.completed["file"]):
        with h5py.File(study_dir / file, "r") as f:
            node_of = f["ranks/node"][()]
            for op in ("put_tensor", "unpack_tensor", "loop_time"):
                seconds = f["timings"][op][()]
                keep = (~np.isnan(seconds) & ~f["warmup"][op][()][np.newaxis, :]
                        & ~f["failures"][op][()])
                rows = f["rows"][op][()]
                point_median = np.median(seconds[keep])
                mine = ranks[(ranks["point_id"] == pid) & (ranks["operation"] == op)]
                assert list(mine["rank"]) == sorted(rows)
                for r, row in zip(rows, seconds):
                    x = row[keep[list(rows).index(r)]]
                    got = mine[mine["rank"] == r].iloc[0]
                    assert got["n"] == x.size and got["median_s"] == np.median(x)
                    for column, p in quantiles:
                        assert got[column] == np.quantile(x, p), (pid, op, r, column)
                    assert got["point_median_s"] == point_median
                    assert got["ratio"] == np.median(x) / point_median
                    assert got["node"] == node_of[r]
                    checked += 1
                mine = nodes[(nodes["point_id"] == pid) & (nodes["operation"] == op)]
                for node in np.unique(node_of[rows]):
                    members = [i for i, r in enumerate(rows) if node_of[r] == node]
                    x = seconds[members][keep[members]]
                    got = mine[mine["node"] == node].iloc[0]
                    assert got["n"] == x.size and got["median_s"] == np.median(x)
                    for column, p in quantiles:
                        assert got[column] == np.quantile(x, p)
    assert checked > 40


def test_row_quantiles_with_uneven_rows_and_nodes():
    rng = np.random.default_rng(5)
    matrix = rng.lognormal(0, 1, (7, 13))
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    matrix[3] = np.nan   # a row without a sample
    n, median, quantiles = stats.row_quantiles(matrix, [0.05, 0.25, 0.5, 0.75, 0.95])
    for i, row in enumerate(matrix):
        x = row[~np.isnan(row)]
        assert n[i] == x.size
        if x.size == 0:
            assert np.isnan(median[i]) and np.isnan(quantiles[0.5][i])
            continue
        assert median[i] == np.median(x)
        for p, values in quantiles.items():
            assert values[i] == np.quantile(x, p), (i, p)
    # Without NaN the order statistics come from one partition: the same numbers.
    for width in (1, 2, 13, 100):
        full = rng.lognormal(0, 1, (5, width))
        n, median, quantiles = stats.row_quantiles(full, [0.05, 0.25, 0.75, 0.95])
        assert (n == width).all()
        np.testing.assert_array_equal(median, np.median(full, axis=1))
        for p, values in quantiles.items():
            np.testing.assert_array_equal(values, np.quantile(full, p, axis=1))
    # Nodes of different sizes: 3 ranks on node 0, 1 on node 1, 2 on node 2.
    frame = pd.DataFrame([{"point_id": "p", "operation": "op", "rank": r, "node": node,
                           "hostname": f"h{node}", "iteration": i, "seconds": float(x),
                           "warmup": False, "failed": False}
                          for r, node in enumerate([0, 0, 0, 1, 2, 2])
                          for i, x in enumerate(rng.lognormal(0, 1, 9))])
    nodes = stats.stragglers(frame, level="node")
    for node, group in frame.groupby("node"):
        got = nodes[nodes["node"] == node].iloc[0]
        assert got["n"] == len(group) and got["median_s"] == np.median(group["seconds"])
        assert got["p95_s"] == np.quantile(group["seconds"], 0.95)
        assert got["hostname"] == f"h{node}"


def _synthetic(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"point_id": "p", "operation": "op", "rank": 0,
                         "iteration": np.arange(values.size), "seconds": values,
                         "warmup": np.arange(values.size) < 2, "failed": False})


def test_outliers_are_flagged_never_deleted_and_exclusion_is_reversible(study, study_dir):
    rng = np.random.default_rng(1)
    values = rng.normal(1e-5, 1e-7, 200)
    values[[50, 120]] = [5e-5, 9e-5]
    values[0] = 1.0  # a warm-up sample: never flagged, it has its own flag
    flagged = outliers.flag_outliers(_synthetic(values)).frame()
    assert len(flagged) == 200 and (flagged["seconds"].to_numpy() == values).all()
    assert list(np.flatnonzero(flagged["outlier"])) == [50, 120]
    assert flagged.attrs["outlier_policy"] == {"method": "mad", "threshold": 3.5,
                                               "min_samples": outliers.MIN_SAMPLES}
    # The scores are the documented modified z-scores of the scored (non-warm-up) samples.
    scored = values[2:]
    z = 0.6745 * np.abs(scored - np.median(scored)) / np.median(
        np.abs(scored - np.median(scored)))
    np.testing.assert_array_equal(flagged["outlier_score"].to_numpy()[2:], z)
    assert np.isnan(flagged["outlier_score"].to_numpy()[:2]).all()
    iqr = outliers.flag_outliers(_synthetic(values), method="iqr", threshold=3.0).frame()
    assert {50, 120} <= set(np.flatnonzero(iqr["outlier"]))
    # Over half the samples equal: MAD is 0, the mean absolute deviation takes over.
    ties = np.full(100, 1e-5)
    ties[:30] = 1.1e-5
    ties[99] = 1e-3
    assert list(np.flatnonzero(outliers.flag_outliers(_synthetic(ties)).frame()["outlier"])) \
        == [99]
    # On the real study: statistics keep flagged samples unless asked, and give them back.
    real = outliers.flag_outliers(study.samples)
    counts = outliers.outlier_counts(real)
    n_flagged = int(counts["flagged"].sum())
    assert n_flagged > 0
    files = dict(zip(study.completed["id"], study.completed["file"]))
    for row in counts.itertuples():   # the same flags as scores() on the raw samples
        x = raw_kept(study_dir / files[row.point_id], row.operation)
        assert row.scored == x.size
        assert row.flagged == int((outliers.scores(x) > 3.5).sum())
    kept = stats.summarize(real, study.operations)
    dropped = stats.summarize(real, study.operations, exclude_outliers=True)
    assert (kept["n"] - dropped["n"]).sum() == n_flagged
    assert kept.equals(stats.summarize(study.samples, study.operations))
    assert not any(data.outlier is not None for data in study.samples)   # a copy was flagged


def test_inference_group_is_loaded_when_present(inference_dir):
    study = load_study(inference_dir)
    assert {"queue_s", "compute_s", "batch_size", "request"} <= set(study.inference.columns)
    assert set(study.inference["point_id"]) == set(study.completed["id"])
    assert {"run_script", "run_model"} <= set(study.samples.operation_names())
    summary = stats.summarize(study.samples, study.operations, study.points)
    table = stats.iteration_breakdown(summary, study.points, study.inference)
    assert {"put_tensor", "run_script", "run_model", "unpack_tensor", "queue_s",
            "compute_s", "batch_size"} <= set(table.columns)
    np.testing.assert_allclose(table["run_model"], 5 * table["put_tensor"], rtol=1e-9)
