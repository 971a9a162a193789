"""Validity flags: read from the point files (or derived, for files written before them) and
carried by every frame."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import FLAGGED
from scalestudy_analysis import load_study, stats
from scalestudy_analysis.load import derive_flags, join_flags, split_flags


@pytest.fixture(scope="module")
def flagged(flagged_dir):
    return load_study(flagged_dir)


def expected_point_flags(points: pd.DataFrame) -> list[str]:
    return [FLAGGED.get((int(c), int(r)), "") if s == "completed" else ""
            for c, r, s in zip(points["client_nodes"], points["repetition"], points["status"])]


def test_derive_flags_reads_the_attributes_and_falls_back_only_without_them():
    # Written by the contract: taken as they are, in canonical order.
    point, ops = derive_flags({"validity_flags": "unstable,oversubscribed",
                               "oversubscribed": False},
                              {"put_tensor": {"flags": "warmup_dominated,few_samples"},
                               "loop_time": {"flags": ""}}, {"put_tensor": 5, "loop_time": 1})
    assert point == "oversubscribed,unstable"
    assert ops == {"put_tensor": "few_samples,warmup_dominated", "loop_time": ""}
    assert derive_flags({"validity_flags": ""}, {}, {})[0] == ""
    # Written before the contract: oversubscribed from the root attribute, few_samples from
    # the kept count (p99 needs 100), nothing else.
    point, ops = derive_flags({"oversubscribed": True}, {"a": {}, "b": {}}, {"a": 99, "b": 100})
    assert point == "oversubscribed" and ops == {"a": "few_samples", "b": ""}
    assert derive_flags({"oversubscribed": False}, {}, {})[0] == ""
    assert derive_flags({}, {"a": {"bytes": 8}}, {"a": 0}) == ("", {"a": "few_samples"})
    assert join_flags("few_samples,oversubscribed", ["unstable"], "", None,
                      "zz_new,oversubscribed") == "oversubscribed,unstable,few_samples,zz_new"
    assert split_flags(float("nan")) == [] and split_flags(" a , b,") == ["a", "b"]


def test_files_without_flag_attributes_get_them_from_what_they_hold(study, study_dir):
    """The session study's files predate the contract (or not: then the attributes rule)."""
    for pid, file, flags in zip(study.completed["id"], study.completed["file"],
                                study.completed["flags"]):
        with h5py.File(study_dir / file, "r") as f:
            if "validity_flags" in f.attrs:
                assert flags == join_flags(str(f.attrs["validity_flags"]))
            else:
                assert flags == ("oversubscribed" if f.attrs["oversubscribed"] else "")
            ops = study.operations[study.operations["point_id"] == pid]
            for op, row_flags in zip(ops["operation"], ops["flags"]):
                if "flags" in f["timings"][op].attrs:
                    continue
                seconds = f["timings"][op][()]
                kept = (~f["warmup"][op][()][np.newaxis, :] & ~f["failures"][op][()]
                        & ~np.isnan(seconds)).sum()
                assert ("few_samples" in split_flags(row_flags)) == (kept < 100), (pid, op)
                assert set(split_flags(row_flags)) - {"few_samples"} == set(split_flags(flags))


@pytest.fixture(scope="module")
def study(study_dir):
    return load_study(study_dir)


def test_flags_are_columns_of_points_operations_samples_and_summary(flagged):
    points = flagged.points
    assert list(points["flags"]) == expected_point_flags(points)
    point_flags = dict(zip(points["id"], points["flags"]))
    ops = flagged.operations
    for pid, op, flags, samples in zip(ops["point_id"], ops["operation"], ops["flags"],
                                       ops["samples"]):
        own = ["few_samples"] if samples == 1 else []
        own += ["warmup_dominated"] if op == "client_init" else []
        assert flags == join_flags(point_flags[pid], own), (pid, op)
    s = flagged.samples
    by_row = s.drop_duplicates(["point_id", "operation"]).set_index(["point_id", "operation"])
    assert by_row.loc[list(zip(ops["point_id"], ops["operation"])), "flags"].astype(str) \
        .tolist() == ops["flags"].tolist()
    summary = stats.summarize(flagged.samples, flagged.operations, flagged.points)
    assert summary["flags"].tolist() == ops["flags"].tolist()
