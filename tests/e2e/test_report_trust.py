"""What the report says about how far its figures can be trusted: with repetitions, each
figure's mean over them and its 95% t-interval as scipy computes them from the raw samples,
speed-up intervals that contain the estimate; and completed points of an older version of the
study, counted and included on request."""

import json

import h5py
import numpy as np
import pytest
from scipy import stats

from test_studies import scalestudy, write_study

STUDY = """\
workload: throughput
iterations: 80
warmup: 2
parameters: {ranks_per_node: 1, tensor_bytes: 4KiB}
sweep:
  client_nodes: [1, 2]
scaling: weak
repetitions: 3
"""


def kept(f, op):
    seconds = f[f"timings/{op}"][()]
    keep = ~f[f"warmup/{op}"][()].astype(bool)[np.newaxis, :] & ~f[f"failures/{op}"][()].astype(bool)
    return seconds[keep & ~np.isnan(seconds)]


def test_repetitions_give_t_intervals_of_each_figure(tmp_path):
    study, study_dir = write_study(tmp_path, STUDY, name="reps")
    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(scalestudy("report", study_dir, "--format", "json").stdout)
    rows = {(r["point"], r["operation"]): r for r in report["repetitions"]}
    assert rows, report["repetitions"]
    with h5py.File(study_dir / "index.h5", "r") as index:
        varied = list(index["points/varied"].asstr()[()])
        files = list(index["points/file"].asstr()[()])
    for point in ("client_nodes=1", "client_nodes=2"):
        p50s = []
        for v, file in zip(varied, files):
            if v.startswith(point + ","):
                with h5py.File(study_dir / file, "r") as f:
                    p50s.append(np.percentile(kept(f, "put_tensor"), 50))
        assert len(p50s) == 3
        row = rows[(point, "put_tensor")]
        assert row["repetitions"] == 3
        assert row["p50_s"] == pytest.approx(np.mean(p50s), rel=1e-12)
        low, high = stats.t.interval(0.95, 2, loc=np.mean(p50s), scale=stats.sem(p50s))
        assert row["p50_s_ci"] == pytest.approx([low, high], rel=1e-3)
    # The text view fits 120 columns; --wide keeps every column and the point beside each row.
    table = scalestudy("report", study_dir).stdout
    assert max(map(len, table.splitlines())) <= 120, table
    assert "std [us]" not in table and "p99 [us]" in table
    wide = scalestudy("report", study_dir, "--wide").stdout
    assert "std [us]" in wide and "min [us]" in wide
    assert max(map(len, wide.splitlines())) > 120
    for row in report["scaling"]:
        assert row["repetitions"] == 3
        low, high = row["speedup_ci"]
        assert low is not None and low <= row["speedup"]
        assert high is None or row["speedup"] <= high


def test_points_of_an_older_version_of_the_study_are_counted_not_dropped(tmp_path):
    text = "workload: throughput\niterations: 20\nparameters: {client_nodes: 1, " \
           "ranks_per_node: 1}\nsweep:\n  tensor_bytes: [1KiB, 4KiB]\n"
    study, study_dir = write_study(tmp_path, text, name="changing")
    assert scalestudy("run", study).returncode == 0
    study.write_text(study.read_text().replace("[1KiB, 4KiB]", "[1KiB, 8KiB]"))
    assert scalestudy("run", study).returncode == 0
    table = scalestudy("report", study_dir).stdout
    assert "1 completed points in the results folder are not points of the study as it is " \
           "now" in table and "--include-older" in table
    plain = json.loads(scalestudy("report", study_dir, "--format", "json").stdout)
    assert plain["older_points"] == 1 and not plain["older_included"]
    assert not any("4KiB" in r["varied"] for r in plain["operations"])
    older = json.loads(scalestudy("report", study_dir, "--format", "json",
                                  "--include-older").stdout)
    labels = {r["varied"] for r in older["operations"]}
    assert "older: tensor_bytes=4KiB" in labels, labels
