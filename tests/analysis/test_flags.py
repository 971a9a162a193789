"""Validity flags: read from the point files (or derived, for files written before them), carried
by every frame, left out of scaling, efficiencies and fits unless asked, said in every output
and drawn hollow in every figure."""

from __future__ import annotations

import math

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.collections  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from conftest import FLAGGED  # noqa: E402
from scalestudy_analysis import figures, load_study, pipeline, stats  # noqa: E402
from scalestudy_analysis.load import derive_flags, join_flags, split_flags  # noqa: E402


@pytest.fixture(scope="module")
def flagged(flagged_dir):
    return load_study(flagged_dir)


@pytest.fixture(scope="module")
def excluded(flagged):
    return pipeline.analyze(flagged)


@pytest.fixture(scope="module")
def included(flagged):
    return pipeline.analyze(flagged, pipeline.Options(include_flagged=True))


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


def test_scaling_leaves_flagged_points_out_unless_asked(flagged, excluded, included):
    obs = excluded.observations
    flagged_ids = set(obs.loc[obs["flags"] != "", "point_id"])
    assert len(flagged_ids) == 4   # 3-client 1KiB x2 (16KiB failed), 2-client repetition 1 x2
    table = excluded.scaling
    assert (table["flags"] == "").all()
    # The 2-client cells keep their unflagged repetition only; the 3-client cell is left out.
    assert set(table["clients"]) == {1, 2}
    assert set(table.loc[table["clients"] == 2, "repetitions"]) == {1}
    left = excluded.left_out
    assert set(left["clients"]) == {2, 3} and (left["flags"] != "").all()
    assert set(left.loc[left["clients"] == 3, "flags"]) == {"oversubscribed"}
    # Numbers of the cells kept are those of the table computed without the flagged points.
    clean = obs[~obs["point_id"].isin(flagged_ids)].drop(columns=["flags"])
    expected = stats.scaling_table(clean, "strong")
    pd.testing.assert_frame_equal(table.drop(columns=["flags"]),
                                  expected.drop(columns=["flags"]))
    # A left-out cell is measured against the kept reference of its group.
    for row in left.itertuples():
        reference = table[(table["group"] == row.group) & (table["clients"] == 1)]
        assert row.speedup == pytest.approx(reference["time_s"].iloc[0] / row.time_s)
    # With include_flagged every point counts and keeps its flags.
    assert set(included.scaling["clients"]) == {1, 2, 3} and included.left_out.empty
    assert set(included.scaling["flags"]) == {"", "unstable", "oversubscribed"}


def test_fits_and_karp_flatt_leave_flagged_points_out_and_say_so(excluded, included):
    by = {(f.law, f.group): f for f in excluded.fits}
    small = "tensor_bytes=1KiB"   # 1 client x2, 2 clients x1 kept; 3 left out
    amdahl = by[("amdahl", small)]
    assert amdahl.ok and len(amdahl.observations) == 3
    assert set(amdahl.left_out["clients"]) == {2, 3}
    assert "3 flagged points left out (oversubscribed, unstable): --include-flagged keeps them" \
        in amdahl.notes
    usl = by[("usl", small)]
    assert not usl.ok and usl.reason.startswith("not enough points to fit: usl has 3 parameters "
                                                "and this group has 3 observations")
    assert "3 flagged points left out" in usl.reason
    kept = {(f.law, f.group): f for f in included.fits}
    assert kept[("usl", small)].ok and len(kept[("usl", small)].observations) == 6
    assert set(kept[("usl", small)].observations["flags"]) == {"", "unstable", "oversubscribed"}
    assert set(excluded.karp_flatt["clients"]) == {2}
    assert set(included.karp_flatt["clients"]) == {2, 3}
    assert (excluded.karp_flatt["flags"] == "").all()


def test_problems_say_what_is_flagged_and_what_was_done(flagged, excluded, included):
    n_rows = len(excluded.summary)
    one_sample = int((flagged.operations["samples"] == 1).sum())
    client_init = int((flagged.operations["operation"] == "client_init").sum())
    lines = list(excluded.problems)
    assert lines[0] == ("2 of 12 points did not complete (2 failed): they are in no table or "
                        "figure; why is under 'Points that did not complete'")
    assert lines[1].startswith("2 of 10 points are oversubscribed (")
    assert lines[1].endswith("): their scaling figures are not meaningful")
    assert lines[2] == ("2 of 10 points are unstable (their stability windows did not settle): "
                        "their figures had not settled when they stopped")
    assert lines[3] == (f"{one_sample} of {n_rows} operation rows have fewer kept samples than "
                        "their p99 needs (< 100): their p99 is marked, not to be trusted")
    assert lines[4].startswith(f"{client_init} of {n_rows} operation rows are dominated by "
                               "their warm-up")
    assert lines[5].startswith("the 4 flagged points are left out of scaling tables, "
                               "efficiencies and fits (--include-flagged keeps them)")
    assert len(lines) == 6
    assert included.problems[:5] == lines[:5]
    assert included.problems[5].startswith("the 4 flagged points are kept")


def test_the_oversubscribed_line_names_threads_and_cpus(flagged, excluded):
    prov = flagged.provenance.set_index("point_id")
    ids = flagged.points.loc[flagged.points["flags"] == "oversubscribed", "id"]
    threads = prov.loc[ids, "threads_per_host"].astype(int)
    cpus = int(prov.loc[ids, "cpus_per_host"].astype(int).min())
    most = f"{threads.max()} threads on {cpus} CPU{'s' if cpus > 1 else ''}"
    line = next(p for p in excluded.problems if "oversubscribed (" in p)
    assert f"({'' if threads.nunique() == 1 else 'up to '}{most})" in line


def test_no_problem_line_without_flags(flagged_dir, tmp_path):
    clean = load_study(flagged_dir)
    clean.points = clean.points[clean.points["status"] == "completed"]
    clean.points["flags"] = ""
    clean.operations["flags"] = ""
    clean.samples["flags"] = ""
    assert pipeline.analyze(clean).problems == []


# --- intervals ---------------------------------------------------------------------------------


def test_t_interval_and_ratio_interval():
    from scipy import stats as scipy_stats
    # t's quantile to double precision: closed forms for 1 and 2 degrees of freedom.
    assert stats.t_quantile_975(1) == pytest.approx(math.tan(0.475 * math.pi), rel=1e-15)
    assert stats.t_quantile_975(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025),
                                                    rel=1e-15)
    assert stats.t_quantile(7, 0.9) == pytest.approx(scipy_stats.t.ppf(0.95, 7), rel=1e-7)
    x = np.array([1.0, 1.3, 0.9, 1.1])
    low, high = stats.t_interval(x)
    half = stats.t_quantile_975(3) * x.std(ddof=1) / 2
    assert (low, high) == pytest.approx((x.mean() - half, x.mean() + half), rel=1e-15)
    expected = scipy_stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=scipy_stats.sem(x))
    assert (low, high) == pytest.approx(expected, rel=1e-7)   # scipy's ppf: about 1e-8
    assert stats.mean_interval(x) == (x.mean(), low, high)
    assert all(math.isnan(v) for v in stats.t_interval([1.0]))
    # T1/Tp at its least and most: the ratio of the two t-intervals.
    a, b = np.array([2.0, 2.2, 1.9]), np.array([1.0, 2.0])
    (la, ha), (lb, hb) = stats.t_interval(a), stats.t_interval(b)
    assert lb < 0   # two repetitions: t = 12.7, Tp's interval reaches zero
    assert stats.ratio_interval(a, b) == (la / hb, math.inf)
    c = np.array([1.0, 1.1, 1.05, 0.98])
    lc, hc = stats.t_interval(c)
    assert stats.ratio_interval(a, c) == (la / hc, ha / lc)
    assert all(math.isnan(v) for v in stats.ratio_interval(a, [1.0]))


def test_repetition_intervals_are_t_intervals_of_each_repetition_numbers(study):
    summary = stats.summarize(study.samples, study.operations, study.points)
    intervals = stats.repetition_intervals(summary, study.points, study.parameter_names)
    s = study.samples
    kept = s[~s["warmup"] & ~s["failed"] & s["seconds"].notna()]
    assert set(intervals["repetitions"]) == {2}
    assert len(intervals) == len(summary) / 2
    for row in intervals.itertuples():
        ids = row.point_ids.split(",")
        assert len(ids) == 2
        reps = study.points.set_index("id").loc[ids]
        assert reps["repetition"].tolist() == [0, 1]
        p50s, means = [], []
        for pid in ids:
            x = kept[(kept["point_id"] == pid) & (kept["operation"] == row.operation)]["seconds"]
            p50s.append(np.percentile(x.to_numpy(), 50))
            means.append(np.mean(x.to_numpy()))
        assert row.p50_s == pytest.approx(np.mean(p50s), rel=1e-12)
        assert (row.p50_low_s, row.p50_high_s) == pytest.approx(stats.t_interval(p50s), rel=1e-12)
        assert (row.mean_low_s, row.mean_high_s) == pytest.approx(stats.t_interval(means),
                                                                  rel=1e-12)
        rates = summary.set_index(["point_id", "operation"]).loc[
            [(pid, row.operation) for pid in ids], "ops_per_s"]
        if np.isfinite(rates).all():
            assert (row.ops_per_s_low, row.ops_per_s_high) == pytest.approx(
                stats.t_interval(rates), rel=1e-12)
        else:
            assert math.isnan(row.ops_per_s_low)
        assert "repetition=" not in row.point


def test_scaling_intervals_follow_the_repetitions(study):
    obs = stats.scaling_observations(study.samples, study.points, study.swept_keys,
                                     study.divided_keys)
    table = stats.scaling_table(obs, "strong", include_flagged=True)
    for row in table.itertuples():
        cell = obs[(obs["group"] == row.group) & (obs["clients"] == row.clients)]
        times = cell["time_s"].to_numpy()
        assert (row.time_low_s, row.time_high_s) == pytest.approx(stats.t_interval(times))
        assert row.time_low_s < np.mean(times) < row.time_high_s
        rates = (cell["work"] / cell["time_s"]).to_numpy()
        assert (row.work_per_s_low, row.work_per_s_high) == pytest.approx(
            stats.t_interval(rates))
        reference = obs[(obs["group"] == row.group) & (obs["clients"] == 1)]["time_s"]
        low, high = stats.ratio_interval(reference, times)   # T1/Tp; strong: the speed-up
        assert (row.speedup_low, row.speedup_high) == pytest.approx((low, high))
        assert row.speedup_low <= row.speedup <= row.speedup_high
        assert (row.efficiency_low, row.efficiency_high) == pytest.approx(
            (low / row.clients, high / row.clients))


# --- figures -----------------------------------------------------------------------------------


def legend_texts(fig) -> str:
    return "\n".join(t.get_text() for ax in fig.axes if ax.get_legend()
                     for t in ax.get_legend().get_texts())


def hollow_points(fig) -> list[tuple[float, float]]:
    """(x, y) of every hollow grey marker (white face, FLAGGED_COLOR edge) drawn on axes."""
    grey = matplotlib.colors.to_rgba(figures.FLAGGED_COLOR)
    out = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if (line.get_marker() not in (None, "None", "", " ")
                    and matplotlib.colors.to_rgba(line.get_markerfacecolor()) == (1, 1, 1, 1)
                    and matplotlib.colors.to_rgba(line.get_markeredgecolor()) == grey):
                out += list(zip(*(np.asarray(v, dtype=float) for v in line.get_data())))
    return out


@pytest.mark.parametrize("mode", ["excluded", "included"])
def test_every_figure_draws_flagged_points_hollow_with_a_legend_entry(mode, excluded, included,
                                                                     tmp_path):
    analysis = excluded if mode == "excluded" else included
    how = "left out of lines, tables and fits" if mode == "excluded" else "kept (--include-flagged)"
    written = pipeline.write_figures(analysis, tmp_path)
    assert {"scaling_time", "efficiency", "scaling_throughput", "latency_put_tensor",
            "breakdown", "fit_amdahl", "karp_flatt"} <= set(written)
    table = pipeline.scaling_display(analysis)
    flagged_cells = table[table["flags"] != ""]
    for name, fig in [
            ("scaling_time", figures.scaling_time(table, "strong")),
            ("efficiency", figures.efficiency(table, "strong")),
            ("scaling_throughput", figures.scaling_throughput(
                table, pipeline.throughput_rates(analysis))),
            ("latency", figures.latency_throughput(analysis.summary, analysis.observations,
                                                   "put_tensor", analysis.options.include_flagged)),
            ("karp_flatt", figures.karp_flatt_figure(pipeline.karp_flatt_display(analysis)))]:
        text = legend_texts(fig)
        assert "hollow grey: flagged point" in text, name
        assert how in text.replace("\n", " "), name
        hollow = {x for x, _ in hollow_points(fig)}
        if name in ("scaling_time", "efficiency"):
            assert hollow == set(flagged_cells["clients"].astype(float)), name
            times = {(c, t) for c, t in zip(flagged_cells["clients"], flagged_cells["time_s"])}
            if name == "scaling_time":
                assert {(x, y) for x, y in hollow_points(fig)} == \
                    {(float(c), float(t)) for c, t in times}
        else:
            assert hollow, name
        plt.close(fig)
    fig = figures.fit_figure([f for f in analysis.fits if f.law == "amdahl" and f.ok])
    text = legend_texts(fig).replace("\n", " ")
    assert "flagged (oversubscribed, unstable), " + (
        "left out of the fit" if mode == "excluded" else "kept") in text
    obs = analysis.observations
    flagged_clients = list(obs.loc[obs["flags"] != "", "clients"].astype(float))
    times = 1 if mode == "excluded" else 2   # kept: the residuals panel draws them too
    assert sorted(x for x, _ in hollow_points(fig)) == sorted(flagged_clients * times)
    plt.close(fig)
    for name, fig in [
            ("violin", figures.violin(analysis.samples, "put_tensor", by="tensor_bytes")),
            ("breakdown", figures.breakdown(analysis.breakdown)),
            ("ranks", figures.rank_distributions(analysis.rank_stragglers,
                                                 analysis.node_stragglers,
                                                 analysis.study.points, "put_tensor",
                                                 pipeline.straggler_points(analysis)))]:
        text = legend_texts(fig)
        assert "flagged point" in text and "oversubscribed" in text, name
        plt.close(fig)


def test_violins_mark_median_and_p99_open_below_100_samples():
    rng = np.random.default_rng(3)
    rows = []
    for clients, n in ((1, 150), (2, 40)):
        for i, x in enumerate(rng.lognormal(np.log(1e-5), 0.4, n)):
            rows.append({"operation": "op", "clients": clients, "seconds": x, "warmup": False,
                         "failed": False, "point_id": f"p{clients}",
                         "flags": "unstable" if clients == 2 else "few_samples"})
    frame = pd.DataFrame(rows)
    fig = figures.violin(frame, "op")
    ax = fig.axes[0]
    medians = [line for line in ax.get_lines() if line.get_marker() == "o"]
    p99s = [line for line in ax.get_lines() if line.get_marker() == "^"]
    for clients, line_median, line_p99 in zip((1, 2), medians, p99s):
        x = frame.loc[frame["clients"] == clients, "seconds"].to_numpy()
        assert line_median.get_ydata()[0] == pytest.approx(np.log10(np.median(x)))
        assert line_p99.get_ydata()[0] == pytest.approx(np.log10(np.percentile(x, 99)))
        opened = matplotlib.colors.to_rgba(line_p99.get_markerfacecolor()) == (1, 1, 1, 1)
        assert opened == (x.size < 100)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:5] == ["op", "mean", "median", "p99", "p99 from < 100 samples"]
    # few_samples alone does not make the violin hollow; unstable does.
    assert labels[5] == "hollow grey: flagged points\n(unstable)"
    bodies = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    hollow = [len(b.get_facecolor()) == 0 or b.get_facecolor()[0][3] == 0 for b in bodies]
    assert hollow == [False, True]
    plt.close(fig)


def test_compare_figure_is_coloured_by_verdict_and_hollow_when_flagged():
    frame = pd.DataFrame({
        "point": ["a", "a", "b"], "operation": ["put_tensor", "loop_time", "put_tensor"],
        "p50_change": [0.3, 0.0, -0.2], "p50_change_low": [0.25, -0.01, -0.5],
        "p50_change_high": [0.35, 0.01, 0.1], "verdict": ["regressed", "unchanged", "noisy"],
        "base_flags": ["", "few_samples", "oversubscribed"], "new_flags": ["", "", ""]})
    frame.attrs["threshold"] = 0.05
    fig = figures.compare_figure(frame)
    ax = fig.axes[0]
    position = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert position["a · put_tensor"] > position["a · loop_time"] > position["b · put_tensor"]
    markers = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [m.get_xdata()[0] for m in markers] == pytest.approx([1.3, 1.0, 0.8])
    assert [matplotlib.colors.to_hex(m.get_color()) for m in markers] == [
        figures.VERDICT_COLORS[v].lower() for v in ("regressed", "unchanged", "noisy")]
    faces = [matplotlib.colors.to_rgba(m.get_markerfacecolor()) == (1, 1, 1, 1)
             for m in markers]
    assert faces == [False, False, True]   # few_samples alone is not a flagged point
    assert "hollow: flagged point\n(oversubscribed)" in legend_texts(fig)
    plt.close(fig)


def test_compare_verdict_needs_the_interval_to_exclude_no_change():
    from scalestudy_analysis.compare import verdict

    def change(estimate, low, high):
        return {"p50_change": estimate, "p50_change_low": low, "p50_change_high": high}
    assert verdict(change(0.30, 0.25, 0.35), 1e-9) == "regressed"
    assert verdict(change(-0.30, -0.35, -0.25), 1e-9) == "improved"
    # Significant by the U test (repetitions pooled), but the p50 may not have moved at all.
    assert verdict(change(0.30, -0.20, 1.07), 1e-4) == "noisy"
    assert verdict(change(-0.30, -0.60, 0.02), 1e-4) == "noisy"
    assert verdict(change(0.0, -0.03, 0.03), 0.9) == "unchanged"
