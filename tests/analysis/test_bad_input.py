"""Damaged, truncated and missing point files: skipped with a warning naming the file, the
other points analysed; a single bad file, or one damaged after loading, is an error naming
it."""

from __future__ import annotations

import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import PYTHON, environment, raw_kept
from scalestudy_analysis import (PointFileError, PointFileWarning, html_report, load_point,
                                 load_study, pipeline, stats)


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def _scribble(path):
    """Zeros over the superblock and the first object headers."""
    with open(path, "r+b") as f:
        f.write(b"\0" * 4096)


@pytest.fixture(scope="module")
def damaged(study_dir, tmp_path_factory):
    """A copy of the study with four bad completed points: one truncated, one scribbled
    over, one missing, one whose /failures/put_tensor is gone (not a point file's layout)."""
    copy = tmp_path_factory.mktemp("damaged") / "analysis"
    shutil.copytree(study_dir, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    study = load_study(copy)
    files = [copy / f for f in study.completed["file"]]
    _truncate(files[0])
    _scribble(files[1])
    files[2].unlink()
    with h5py.File(files[3], "r+") as f:
        del f["failures/put_tensor"]
    return copy, files[:4], list(study.completed["id"])


def test_bad_point_files_are_skipped_with_a_warning_naming_each(damaged):
    copy, bad, ids = damaged
    with pytest.warns(PointFileWarning) as caught:
        study = load_study(copy)
    messages = [str(w.message) for w in caught if w.category is PointFileWarning]
    assert len(messages) == 4
    for file, message in zip(bad, messages):
        assert message.startswith(f"skipping {file}: "), message
        assert "the other points are analysed" in message
    points = study.points.set_index("id")
    assert list(points.loc[ids[:4], "status"]) == ["unreadable"] * 4
    assert all(str(file) in reason for file, reason in zip(bad, points.loc[ids[:4], "reason"]))
    assert list(study.completed["id"]) == ids[4:]
    # The others are analysed, with the same numbers as numpy on their files.
    analysis = pipeline.analyze(study)
    assert set(analysis.summary["point_id"]) == set(ids[4:])
    files = dict(zip(study.points["id"], study.points["file"]))
    for row in analysis.summary[analysis.summary["operation"] == "put_tensor"].itertuples():
        x = raw_kept(copy / files[row.point_id], "put_tensor")
        assert row.n == x.size and row.p50_s == np.percentile(x, 50)
    assert analysis.problems[0].startswith(
        "6 of 12 points did not complete (4 unreadable, 2 failed): they are in no table")
    assert set(analysis.failed["status"]) == {"failed", "unreadable"}


def test_the_cli_warns_on_stderr_and_reports_the_others(damaged, tmp_path):
    copy, bad, ids = damaged
    done = subprocess.run([PYTHON, "-m", "scalestudy_analysis", "summary", str(copy), "--out",
                           str(tmp_path)], capture_output=True, text=True,
                          env=environment(MPLBACKEND="Agg"), timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines()
              if line.startswith("scalestudy_analysis: warning: skipping ")]
    assert [line.split()[3].rstrip(":") for line in warned] == [str(f) for f in bad]
    assert all(pid in done.stdout for pid in ids[4:])
    assert not any(pid in done.stdout for pid in ids[:4])
    failed = pd.read_csv(tmp_path / "failed_points.csv")
    assert set(failed.loc[failed["status"] == "unreadable", "id"]) == set(ids[:4])
    with pytest.warns(PointFileWarning):
        analysis = pipeline.analyze(load_study(copy))
    report = html_report.render(analysis)   # without figures: the tables
    assert report.count(": unreadable</h3>") == 4 and str(bad[0]) in report


def test_a_single_bad_point_file_is_an_error_naming_it(damaged):
    copy, bad, _ = damaged
    for file in (bad[0], bad[1], bad[3]):
        with pytest.raises(PointFileError, match=str(file)):
            load_point(file)
        done = subprocess.run([PYTHON, "-m", "scalestudy_analysis", "summary", str(file)],
                              capture_output=True, text=True, env=environment(), timeout=300,
                              check=False)
        assert done.returncode == 2 and str(file) in done.stderr, done.stderr


def test_a_file_damaged_after_loading_is_an_error_naming_it(study_dir, tmp_path):
    copy = tmp_path / "analysis"
    shutil.copytree(study_dir, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    study = load_study(copy)   # metadata only: the samples are read when first used
    file = copy / study.completed["file"].iloc[0]
    _truncate(file, 0.3)
    with pytest.raises(PointFileError, match=str(file)):
        stats.summarize(study.samples, study.operations, study.points)
