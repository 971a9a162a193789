"""scalestudy compare: a result set against its own copy, against a copy with one operation
slowed down, and against a study with other points; the verdicts against scipy's U test."""

import json
import shutil

import h5py
import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from test_studies import scalestudy, write_study

STUDY = """\
workload: throughput
iterations: 150
warmup: 2
parameters: {client_nodes: 1, ranks_per_node: 1}
sweep:
  tensor_bytes: [1KiB, 64KiB]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    study, study_dir = write_study(folder, STUDY, name="base")
    done = scalestudy("run", study)
    assert done.returncode == 0, done.stdout + done.stderr
    return study_dir


def copy_of(results, tmp_path, name, scale_operation=None, factor=1.0):
    copy = tmp_path / name
    shutil.copytree(results, copy)
    if scale_operation:
        for path in copy.glob("points/*/point.h5"):
            with h5py.File(path, "r+") as f:
                samples = f[f"timings/{scale_operation}"]
                samples[...] = samples[()] * factor
    return copy


def compare(base, new, *args):
    done = scalestudy("compare", base, new, "--format", "json", *args)
    return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr


def test_a_copy_shows_no_significant_change(results, tmp_path):
    status, out, err = compare(results, copy_of(results, tmp_path, "copy"))
    assert status == 0, err
    assert out["matched"] == 2 and not out["changed"]
    assert {r["verdict"] for r in out["rows"]} <= {"unchanged", "noisy"}
    assert all(r["p50_change"] == 0 and r["p_value"] == 1 for r in out["rows"])
    table = scalestudy("compare", results, tmp_path / "copy").stdout
    assert "no significant change" in table


def test_a_slower_put_is_exactly_the_regression(results, tmp_path):
    slow = copy_of(results, tmp_path, "slow", "put_tensor", 1.3)
    status, out, err = compare(results, slow)
    assert status == 1, err
    changed = {(r["point"], r["operation"]) for r in out["rows"]
               if r["verdict"] in ("regressed", "improved")}
    assert changed == {("tensor_bytes=1KiB", "put_tensor"), ("tensor_bytes=64KiB", "put_tensor")}
    for row in out["rows"]:
        if row["operation"] != "put_tensor":
            continue
        assert row["verdict"] == "regressed"
        assert row["p50_change"] == pytest.approx(0.3, rel=1e-9)
        low, high = row["p50_change_ci"]
        assert low < 0.3 < high
        # The p-value is scipy's, on the same samples (warm-up left out).
        with h5py.File(results / "points" / row["base_id"] / "point.h5", "r") as f:
            keep = ~f["warmup/put_tensor"][()].astype(bool)
            base = f["timings/put_tensor"][()][:, keep].ravel()
        expected = mannwhitneyu(base, base * 1.3, method="asymptotic").pvalue
        assert row["p_value"] == pytest.approx(expected, rel=1e-6, abs=1e-300)
    # A threshold above the change lets it pass.
    assert compare(results, slow, "--threshold", "40")[0] == 0


def test_points_of_one_set_only_are_listed(results, tmp_path):
    other_study, other_dir = write_study(tmp_path, STUDY.replace("[1KiB, 64KiB]", "[1KiB, 4KiB]"),
                                         name="other")
    assert scalestudy("run", other_study).returncode == 0
    status, out, _ = compare(results, other_dir)
    assert out["matched"] == 1
    assert out["only_in_base"] == ["tensor_bytes=64KiB"]
    assert out["only_in_new"] == ["tensor_bytes=4KiB"]
    assert status in (0, 1)
    missing = scalestudy("compare", results, tmp_path / "nowhere")
    assert missing.returncode == 2 and "nowhere" in missing.stderr
