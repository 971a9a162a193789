"""One analysis of a study: every frame the CLI, the HTML report and the notebooks show,
computed once from a loaded Study and a set of options, then written as figures and tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import figures, fits, outliers, stats
from .load import FLAGS, POINT_FLAGS, Study, failed_points, join_flags, split_flags

#: Called with one line of progress (what is being read or written).
Progress = Callable[[str], None]


@dataclass
class Options:
    """What to include and how (the CLI's flags; every default is documented there)."""

    by: str | None = None                 # violins' series: default first config key
    facet: list[str] | None = None        # violins' panels: default the other config keys
    include_warmup: bool = False
    include_failed: bool = False
    exclude_outliers: bool = False
    outlier_method: str = outliers.DEFAULT_METHOD
    outlier_threshold: float | None = None
    straggler_ratio: float = stats.DEFAULT_STRAGGLER_RATIO
    time_op: str | None = None
    mode: str | None = None               # default: the study's scaling mode
    at_nodes: float | None = None         # default: twice the largest client_nodes
    level: float = fits.DEFAULT_LEVEL
    include_flagged: bool = False         # keep flagged points in scaling, efficiencies, fits

    def selection(self) -> dict[str, bool]:
        """The sample-selection flags as keyword arguments."""
        return {"include_warmup": self.include_warmup, "include_failed": self.include_failed,
                "exclude_outliers": self.exclude_outliers}


@dataclass
class Analysis:
    """Frames of one analysis (see `analyze`)."""

    study: Study
    options: Options
    samples: pd.DataFrame            # Study.samples with outlier flags
    summary: pd.DataFrame
    observations: pd.DataFrame
    mode: str
    scaling: pd.DataFrame            # flagged points left out unless include_flagged
    left_out: pd.DataFrame           # the cells left out (stats.left_out_scaling)
    intervals: pd.DataFrame          # stats.repetition_intervals
    fits: list[fits.Fit]
    karp_flatt: pd.DataFrame
    rank_stragglers: pd.DataFrame
    node_stragglers: pd.DataFrame
    breakdown: pd.DataFrame
    outlier_counts: pd.DataFrame
    failed: pd.DataFrame
    by: str | None
    facet: list[str]
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # flag_problems: one line per problem
    figures: dict[str, list[Path]] = field(default_factory=dict)


def default_series(study: Study) -> tuple[str | None, list[str]]:
    """The configuration keys that take more than one value among completed points: the first
    is the default series of the violins (`by`), the others their panels (`facet`)."""
    done = study.completed
    keys = [k for k in study.config_keys if k in done.columns and done[k].nunique() > 1]
    return (keys[0] if keys else None), keys[1:]


def analyze(study: Study, options: Options | None = None) -> Analysis:
    """Computes every frame of the analysis of `study` (nothing is written)."""
    options = options or Options()
    notes: list[str] = []
    by, facet = default_series(study)
    if options.by:
        facet = [k for k in (by, *facet) if k and k != options.by]
        by = options.by
    facet = list(options.facet) if options.facet is not None else facet
    for key in (by, *facet):
        if key is not None and key not in study.samples.columns:
            raise ValueError(f"unknown parameter {key!r} for --by/--facet: one of "
                             f"{', '.join(study.parameter_names)}")
    samples = outliers.flag_outliers(study.samples, options.outlier_method,
                                     options.outlier_threshold)
    summary = stats.summarize(samples, study.operations, study.points, **options.selection())
    observations = stats.scaling_observations(samples, study.points, study.swept_keys,
                                              study.divided_keys, time_op=options.time_op,
                                              include_warmup=options.include_warmup)
    rpn = study.points.set_index("id")
    for column in ("client_nodes", "ranks_per_node"):
        if column in rpn.columns:
            observations[column] = observations["point_id"].map(rpn[column])
    mode = options.mode or study.scaling_mode
    scaling = pd.DataFrame()
    left_out = pd.DataFrame(columns=stats.SCALING_COLUMNS)
    fit_list: list[fits.Fit] = []
    karp = pd.DataFrame()
    flagged = dict(include_flagged=options.include_flagged, level=options.level)
    if mode in ("strong", "weak") and len(observations):
        scaling = stats.scaling_table(observations, mode, **flagged)
        if not options.include_flagged:
            left_out = stats.left_out_scaling(observations, mode, level=options.level)
        fit_list = fits.fit_groups(observations, mode, at_clients=_targets(observations, options),
                                   **flagged)
        karp = fits.karp_flatt(observations, mode, **flagged)
    elif mode not in ("strong", "weak"):
        notes.append("the study has scaling: none, so there is no speed-up, efficiency or fit: "
                     "give --mode strong or --mode weak")
    ranks = stats.stragglers(samples, level="rank", ratio=options.straggler_ratio,
                             **options.selection())
    nodes = stats.stragglers(samples, level="node", ratio=options.straggler_ratio,
                             **options.selection())
    table = stats.iteration_breakdown(summary, study.points, study.inference)
    table = table.join(study.points.set_index("id")[["clients", "flags"]], on="point_id")
    groups = dict(zip(observations["point_id"], observations["group"]))
    table["group"] = [groups.get(pid, "all points") for pid in table["point_id"]]
    intervals = stats.repetition_intervals(summary, study.points, study.parameter_names,
                                           level=options.level)
    analysis = Analysis(study=study, options=options, samples=samples, summary=summary,
                        observations=observations, mode=mode, scaling=scaling,
                        left_out=left_out, intervals=intervals, fits=fit_list, karp_flatt=karp,
                        rank_stragglers=ranks, node_stragglers=nodes, breakdown=table,
                        outlier_counts=outliers.outlier_counts(samples),
                        failed=failed_points(study), by=by, facet=facet, notes=notes)
    analysis.problems = flag_problems(analysis)
    return analysis


#: What a point-level flag costs, said after "N of M points are/have ...".
_POINT_CONSEQUENCES = {
    "oversubscribed": "their scaling figures are not meaningful",
    "unstable": "their figures had not settled when they stopped",
    "baseline_slower": "their comparison with the raw-MPI or in-process baseline is invalid",
}


def flag_problems(analysis: Analysis) -> list[str]:
    """One line per validity problem of the study, worst first: the points that did not
    complete (failed, skipped, ...), then each flag, e.g. "6 of 10 points are oversubscribed
    (up to 4 threads on 2 CPUs): their scaling figures are not meaningful"; then what the
    analysis did about them (flagged points left out, or kept). Empty when every point
    completed and no point or operation row is flagged."""
    study = analysis.study
    done = study.completed
    total = len(done)
    lines = []
    missing = analysis.failed
    if len(missing):
        counts = missing["status"].value_counts()
        lines.append(f"{len(missing)} of {len(study.points)} points did not complete ("
                     + ", ".join(f"{n} {status}" for status, n in counts.items())
                     + "): they are in no table or figure; why is under 'Points that did not "
                       "complete'")
    prov = study.provenance.set_index("point_id") if len(study.provenance) else pd.DataFrame()
    for flag in POINT_FLAGS:
        ids = [pid for pid, f in zip(done["id"], done["flags"]) if flag in split_flags(f)]
        if not ids:
            continue
        what = {"oversubscribed": "are oversubscribed", "unstable": "are unstable (their "
                "stability windows did not settle)", "baseline_slower": "have a baseline "
                "slower than the operation it bounds"}[flag]
        detail = ""
        if flag == "oversubscribed" and {"threads_per_host", "cpus_per_host"} <= set(prov.columns):
            rows = prov.loc[[i for i in ids if i in prov.index]]
            threads = pd.to_numeric(rows["threads_per_host"], errors="coerce").dropna()
            cpus = pd.to_numeric(rows["cpus_per_host"], errors="coerce").dropna()
            if len(threads) and len(cpus):
                most = (f"{int(threads.max())} threads on {int(cpus.min())} "
                        f"CPU{'s' if cpus.min() > 1 else ''}")
                detail = f" ({'' if threads.nunique() == 1 else 'up to '}{most})"
        lines.append(f"{len(ids)} of {total} points {what}{detail}: "
                     f"{_POINT_CONSEQUENCES[flag]}")
    summary = analysis.summary
    rows = len(summary)
    for flag, text in (("few_samples", "have fewer kept samples than their p99 needs "
                                       "(< 100): their p99 is marked, not to be trusted"),
                       ("warmup_dominated", "are dominated by their warm-up: their figures "
                                            "measure start-up more than steady state")):
        count = sum(flag in split_flags(f) for f in summary.get("flags", []))
        if count:
            lines.append(f"{count} of {rows} operation rows {text}")
    unknown = {f for text in done["flags"] for f in split_flags(text)} - set(FLAGS)
    if unknown:
        lines.append(f"points carry flags this package does not know: {', '.join(sorted(unknown))}")
    flagged = [pid for pid, f in zip(done["id"], done["flags"]) if f]
    if flagged and analysis.mode in ("strong", "weak"):
        if analysis.options.include_flagged:
            lines.append(f"the {len(flagged)} flagged points are kept in scaling tables, "
                         "efficiencies and fits (--include-flagged), drawn hollow and grey")
        else:
            lines.append(f"the {len(flagged)} flagged points are left out of scaling tables, "
                         "efficiencies and fits (--include-flagged keeps them); figures draw "
                         "them hollow and grey")
    return lines


def _targets(observations: pd.DataFrame, options: Options) -> dict[str, float]:
    """Client count to extrapolate each group to: at_nodes x the group's ranks_per_node."""
    nodes = options.at_nodes
    if nodes is None and "client_nodes" in observations.columns:
        nodes = 2 * float(observations["client_nodes"].max())
    targets = {}
    for group, rows in observations.groupby("group", sort=False):
        per_node = rows["ranks_per_node"].unique() if "ranks_per_node" in rows else []
        if nodes and len(per_node) == 1:
            targets[group] = float(nodes) * float(per_node[0])
    return targets


def repeated_operations(study: Study) -> list[str]:
    """Operations with more than one sample per client (the ones violins make sense for),
    iteration operations first."""
    ops = set(study.operations.loc[study.operations["samples"] > 1, "operation"])
    ordered = [op for op in (*stats.ITERATION_OPERATIONS, *stats.BASELINE_OPERATIONS)
               if op in ops]
    return ordered + sorted(ops - set(ordered))


def straggler_points(analysis: Analysis, limit: int = 9) -> list[str]:
    """The points whose per-rank figure is drawn: in each group, the point with the most
    clients (first repetition), at most `limit`."""
    obs = analysis.observations
    if obs.empty:
        return list(analysis.study.completed["id"][:limit])
    chosen = []
    for _, rows in obs.groupby("group", sort=False):
        chosen.append(rows.sort_values(["clients", "repetition"], ascending=[False, True])
                      .iloc[0]["point_id"])
    return chosen[:limit]


def throughput_rates(analysis: Analysis) -> pd.DataFrame:
    """group, clients, operation, ops_per_s (median over repetitions of `summary`),
    ops_per_s_low / ops_per_s_high (95 % t-interval over repetitions), flags (the points') and
    left_out (flagged points, pooled apart from the valid ones unless include_flagged)."""
    rates = analysis.summary[np.isfinite(analysis.summary["ops_per_s"].to_numpy(float))]
    where = analysis.observations[["point_id", "group", "clients", "flags"]]
    rates = rates.drop(columns=["clients", "flags"]).merge(where, on="point_id")
    rates["left_out"] = (rates["flags"] != "") & (not analysis.options.include_flagged)
    rows = []
    for (group, clients, operation, left), cell in rates.groupby(
            ["group", "clients", "operation", "left_out"], sort=False):
        low, high = stats.t_interval(cell["ops_per_s"], analysis.options.level)
        rows.append({"group": group, "clients": clients, "operation": operation,
                     "ops_per_s": float(cell["ops_per_s"].median()), "ops_per_s_low": low,
                     "ops_per_s_high": high, "flags": join_flags(*cell["flags"]),
                     "left_out": left})
    return pd.DataFrame(rows, columns=["group", "clients", "operation", "ops_per_s",
                                       "ops_per_s_low", "ops_per_s_high", "flags", "left_out"])


def scaling_display(analysis: Analysis) -> pd.DataFrame:
    """The scaling table with the cells left out appended (``left_out`` True): what the scaling
    figures draw, the latter hollow and unjoined."""
    table = analysis.scaling.assign(left_out=False)
    if len(analysis.left_out):
        table = pd.concat([table, analysis.left_out.assign(left_out=True)], ignore_index=True)
    return table


def karp_flatt_display(analysis: Analysis) -> pd.DataFrame:
    """The Karp-Flatt table with the flagged client counts it leaves out appended
    (``left_out`` True, `fits.karp_flatt_left_out`): what its figure draws."""
    table = analysis.karp_flatt.assign(left_out=False)
    if analysis.options.include_flagged or analysis.mode not in ("strong", "weak"):
        return table
    left = fits.karp_flatt_left_out(analysis.observations, analysis.mode)
    return pd.concat([table, left], ignore_index=True) if len(left) else table


FIGURE_KINDS = ("violins", "scaling", "breakdown", "ranks", "fits")


def write_figures(analysis: Analysis, out_dir: str | Path,
                  kinds: tuple[str, ...] = FIGURE_KINDS,
                  progress: Progress | None = None) -> dict[str, list[Path]]:
    """Builds and saves every figure of `kinds` that the data allows into `out_dir` (PNG and
    PDF each); returns {stem: paths} and records it in ``analysis.figures``. `progress` is told
    each figure written."""
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {}

    def keep(stem: str, fig: plt.Figure) -> None:
        written[stem] = figures.save(fig, out_dir, stem)
        plt.close(fig)
        if progress:
            progress(f"wrote {written[stem][0]} (+ .pdf)")

    study, options = analysis.study, analysis.options
    operations = repeated_operations(study)
    if "violins" in kinds:
        for op in operations:
            keep(f"violin_{op}", figures.violin(analysis.samples, op, by=analysis.by,
                                                facet=analysis.facet, **options.selection()))
    if "scaling" in kinds and len(analysis.scaling) + len(analysis.left_out):
        time_op = str(analysis.observations["time_op"].iloc[0])
        table = scaling_display(analysis)
        keep("scaling_time", figures.scaling_time(table, analysis.mode, time_op))
        keep("scaling_throughput", figures.scaling_throughput(table, throughput_rates(analysis)))
        keep("efficiency", figures.efficiency(table, analysis.mode))
        main = next((op for op in ("run_model", "put_tensor") if op in operations), None)
        if main:
            keep(f"latency_{main}", figures.latency_throughput(
                analysis.summary, analysis.observations, main,
                include_flagged=analysis.options.include_flagged))
    if "breakdown" in kinds and len(analysis.breakdown) and (
            set(analysis.breakdown.columns) & {*stats.ITERATION_OPERATIONS, "queue_s"}):
        keep("breakdown", figures.breakdown(analysis.breakdown))
    if "ranks" in kinds:
        chosen = straggler_points(analysis)
        for op in operations:
            keep(f"ranks_{op}", figures.rank_distributions(
                analysis.rank_stragglers, analysis.node_stragglers, study.points, op, chosen))
    if "fits" in kinds:
        for law in fits.LAWS:
            fitted = [f for f in analysis.fits if f.law == law and f.ok]
            if fitted:
                keep(f"fit_{law}", figures.fit_figure(fitted))
        if len(analysis.karp_flatt):
            keep("karp_flatt", figures.karp_flatt_figure(karp_flatt_display(analysis)))
    analysis.figures.update(written)
    return written


def write_tables(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Writes the analysis's tables as CSV into `out_dir`: summary, intervals (across
    repetitions), scaling, scaling_left_out (the flagged cells scaling leaves out, with their
    flags), fits, karp_flatt, stragglers (rank and node), outliers, failed_points."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {"summary": analysis.summary, "intervals": analysis.intervals,
              "scaling": analysis.scaling, "scaling_left_out": analysis.left_out,
              "fits": fits.fits_table(analysis.fits), "karp_flatt": analysis.karp_flatt,
              "stragglers_rank": analysis.rank_stragglers,
              "stragglers_node": analysis.node_stragglers, "outliers": analysis.outlier_counts,
              "failed_points": analysis.failed}
    paths = []
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths
