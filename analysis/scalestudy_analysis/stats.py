"""Statistics with exactly `scalestudy report`'s definitions (src/report/report.cpp).

- Per point and operation (`summarize`): n, mean, std (ddof=1; 0 below two samples), min,
  p50, p90, p99 (numpy's default linear interpolation), max over the merged samples of every
  client; warm-up and failed samples are excluded unless asked, NaN samples always; ``failed``
  counts failed samples (outside warm-up unless warm-up is included) even when they are
  excluded; ``ops_per_s`` is the sum over clients of (samples / time spent in them), NaN for
  operations with one sample per client (``client_init``, ``loop_time``); ``bytes_per_s`` is
  ``ops_per_s x bytes`` (NaN when the operation moves no payload). All zero when no sample
  remains.
- Scaling (`scaling_observations`, `scaling_table`): a point's time T is its slowest client's
  total of the time operation (``loop_time``, or ``raw_loop_time`` for points without it) over
  the non-warm-up samples; points are grouped by their swept values other than client_nodes,
  ranks_per_node, repetition and the divided keys; in each group, against the point with the
  fewest clients p1 (time T1, medians over repetitions): strong speed-up T1/Tp and efficiency
  T1 p1/(Tp p); weak efficiency T1/Tp and scaled speed-up (p/p1) T1/Tp.

Additions of this package (not in `scalestudy report`): excluding flagged outliers
(`outliers.flag_outliers`), straggler ranks and nodes, the per-iteration breakdown, and 95 %
intervals across repetitions:

- Of a point's p50, mean and ops/s, and of its time T and loop iterations/s
  (`repetition_intervals`, `scaling_table`): the Student-t interval of the mean of the
  per-repetition values, ``mean +- t(level, n - 1) s / sqrt(n)``; none below two repetitions.
- Of speed-up and efficiency (`scaling_table`), as `scalestudy report` gives them: T1/Tp at
  its least and most, the ratio of the two times' t-intervals, ``[max(0, T1 low) / Tp high,
  T1 high / Tp low]`` (unbounded above when Tp's interval reaches 0), scaled like the estimate;
  conservative. None unless both client counts have two repetitions or more.
- t's quantile is solved as the root of its upper tail (the regularised incomplete beta), to
  double precision, as the report solves it (`t_quantile`): scipy.stats.t.ppf is only within
  about 1e-8, and the two would disagree in the 9th digit.

Validity flags (load.py): scaling tables, efficiencies and fits leave points with flags out
unless ``include_flagged`` (`split_flagged`); `left_out_scaling` gives the cells left out,
against the same references, for figures that draw them hollow.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from scipy import optimize, special

from .load import SCALING_AXIS_KEYS, display_value, join_flags

#: Client operations of one iteration, in the order they run (inference, then throughput).
ITERATION_OPERATIONS = ("put_tensor", "run_script", "run_model", "unpack_tensor")
#: The raw-MPI baseline of the same exchange (`baseline: true`).
BASELINE_OPERATIONS = ("raw_put_tensor", "raw_unpack_tensor")
#: Default straggler threshold: a rank (node) whose median exceeds this many times the point's
#: median of the same operation is a straggler.
DEFAULT_STRAGGLER_RATIO = 1.5
#: Confidence level of the intervals across repetitions.
DEFAULT_LEVEL = 0.95

SUMMARY_COLUMNS = ["point_id", "varied", "operation", "n", "mean_s", "std_s", "min_s", "p50_s",
                   "p90_s", "p99_s", "max_s", "clients", "failed", "bytes", "ops_per_s",
                   "bytes_per_s", "flags"]


def describe(values: np.ndarray) -> dict[str, float]:
    """n, mean, std (ddof=1, 0 below two samples), min, p50, p90, p99, max of `values` as
    `scalestudy report` computes them (NaN skipped; all zero when nothing remains)."""
    values = np.sort(values[~np.isnan(values)])
    n = int(values.size)
    if n == 0:
        return {"n": 0, **{k: 0.0 for k in ("mean_s", "std_s", "min_s", "p50_s", "p90_s",
                                             "p99_s", "max_s")}}
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return {"n": n, "mean_s": float(np.mean(values)),
            "std_s": float(np.std(values, ddof=1)) if n > 1 else 0.0,
            "min_s": float(values[0]), "p50_s": float(p50), "p90_s": float(p90),
            "p99_s": float(p99), "max_s": float(values[-1])}


def selection(samples: pd.DataFrame, *, include_warmup: bool = False,
              include_failed: bool = False, exclude_outliers: bool = False) -> np.ndarray:
    """Boolean mask of the samples statistics use: not NaN, and unless asked not warm-up, not
    failed; with `exclude_outliers`, not flagged (needs the ``outlier`` column)."""
    keep = ~np.isnan(samples["seconds"].to_numpy())
    if not include_warmup:
        keep &= ~samples["warmup"].to_numpy(bool)
    if not include_failed:
        keep &= ~samples["failed"].to_numpy(bool)
    if exclude_outliers:
        if "outlier" not in samples.columns:
            raise ValueError("exclude_outliers needs flagged samples: call "
                             "outliers.flag_outliers(samples) first")
        keep &= ~samples["outlier"].to_numpy(bool)
    return keep


def summarize(samples: pd.DataFrame, operations: pd.DataFrame,
              points: pd.DataFrame | None = None, *, include_warmup: bool = False,
              include_failed: bool = False, exclude_outliers: bool = False) -> pd.DataFrame:
    """One row per (point, operation), in the order of `operations`, with the columns of
    `scalestudy report --format json` (SUMMARY_COLUMNS; seconds and per-second units) and the
    row's validity ``flags`` (from `operations`; "" when it has none). `points` (Study.points)
    supplies the ``varied`` text."""
    keep = selection(samples, include_warmup=include_warmup, include_failed=include_failed,
                     exclude_outliers=exclude_outliers)
    counted = samples["failed"].to_numpy(bool)
    if not include_warmup:
        counted = counted & ~samples["warmup"].to_numpy(bool)
    work = pd.DataFrame({"point_id": samples["point_id"], "operation": samples["operation"],
                         "rank": samples["rank"], "seconds": samples["seconds"],
                         "keep": keep, "counted": counted})
    groups = {key: g for key, g in work.groupby(["point_id", "operation"], sort=False)}
    varied = {} if points is None else dict(zip(points["id"], points["varied"]))
    rows = []
    for op in operations.itertuples(index=False):
        g = groups.get((op.point_id, op.operation))
        row = {"point_id": op.point_id, "varied": varied.get(op.point_id, ""),
               "operation": op.operation, "clients": int(op.rows), "bytes": int(op.bytes),
               "flags": join_flags(getattr(op, "flags", ""))}
        if g is None:
            row.update(describe(np.array([])), failed=0, ops_per_s=0.0)
        else:
            kept = g[g["keep"].to_numpy()]
            row.update(describe(kept["seconds"].to_numpy()))
            row["failed"] = int(g["counted"].sum())
            per_rank = kept.groupby("rank", sort=True)["seconds"].agg(["sum", "count"])
            busy = per_rank[per_rank["sum"] > 0]
            row["ops_per_s"] = float((busy["count"] / busy["sum"]).sum())
        if op.samples <= 1:
            row["ops_per_s"] = math.nan
        row["bytes_per_s"] = row["ops_per_s"] * row["bytes"] if row["bytes"] > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def point_times(samples: pd.DataFrame, points: pd.DataFrame, *, time_op: str | None = None,
                include_warmup: bool = False) -> pd.DataFrame:
    """Per completed point: ``time_s``, the slowest client's total of the time operation over
    its non-warm-up samples (failed samples included, as the report does), and ``time_op``.
    Without `time_op`: ``loop_time``, else ``raw_loop_time``; points without it are left out."""
    rows = []
    by_point = {pid: g for pid, g in samples.groupby("point_id", sort=False)}
    for pid in points.loc[points["status"] == "completed", "id"]:
        g = by_point.get(pid)
        present = set() if g is None else set(g["operation"].unique())
        if time_op:
            op = time_op if time_op in present else None
        else:
            op = next((o for o in ("loop_time", "raw_loop_time") if o in present), None)
        if op is None:
            continue
        timed = g[g["operation"] == op]
        if not include_warmup:
            timed = timed[~timed["warmup"].to_numpy(bool)]
        slowest = 0.0
        for _, row in timed.groupby("rank", sort=True)["seconds"]:
            total = float(np.sum(row.to_numpy()))  # a NaN sample makes the row NaN: skipped
            if total > slowest:
                slowest = total
        rows.append({"point_id": pid, "time_s": slowest, "time_op": op})
    return pd.DataFrame(rows, columns=["point_id", "time_s", "time_op"])


def group_label(params: dict, keys: Iterable[str]) -> str:
    """``key=value, ...`` over `keys` with report's value display; "all points" when empty."""
    parts = [f"{k}={display_value(k, params[k])}" for k in keys
             if k in params and not _missing(params[k])]
    return ", ".join(parts) if parts else "all points"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def scaling_observations(samples: pd.DataFrame, points: pd.DataFrame, swept_keys: list[str],
                         divided_keys: list[str], *, time_op: str | None = None,
                         include_warmup: bool = False) -> pd.DataFrame:
    """One row per completed point with a time: point_id, varied, group, clients, repetition,
    time_s, time_op, work (``iterations x clients``: total loop iterations, the unit of
    throughput), flags (the point's validity flags) and the configuration keys. Rows follow
    study order."""
    axis = set(SCALING_AXIS_KEYS) | set(divided_keys)
    config = [k for k in swept_keys if k not in axis]
    times = point_times(samples, points, time_op=time_op, include_warmup=include_warmup)
    frame = points.merge(times, left_on="id", right_on="point_id", how="inner")
    if frame.empty:
        return pd.DataFrame(columns=["point_id", "varied", "group", "clients", "repetition",
                                     "time_s", "time_op", "work", "flags", *config])
    frame["group"] = [group_label(row, config) for row in frame.to_dict("records")]
    if "iterations" in frame.columns:
        frame["work"] = frame["iterations"].astype(float) * frame["clients"]
    else:
        frame["work"] = np.nan
    if "repetition" not in frame.columns:
        frame["repetition"] = 0
    frame["flags"] = [join_flags(f) for f in frame["flags"]] if "flags" in frame.columns else ""
    columns = ["point_id", "varied", "group", "clients", "repetition", "time_s", "time_op",
               "work", "flags", *[c for c in config if c in frame.columns]]
    return frame[columns].reset_index(drop=True)


SCALING_COLUMNS = ["group", "point_id", "varied", "clients", "time_s", "speedup", "efficiency",
                   "repetitions", "time_min_s", "time_max_s", "work_per_s", "flags",
                   "time_low_s", "time_high_s", "speedup_low", "speedup_high",
                   "efficiency_low", "efficiency_high", "work_per_s_low", "work_per_s_high"]


def split_flagged(frame: pd.DataFrame, include_flagged: bool = False
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(used, left out): the rows of `frame` with validity flags are left out unless
    `include_flagged`. A frame without a ``flags`` column has no flagged row."""
    if include_flagged or "flags" not in frame.columns:
        return frame, frame.iloc[0:0]
    flagged = frame["flags"].fillna("").astype(str).to_numpy() != ""
    return frame[~flagged], frame[flagged]


def t_quantile(df: int, level: float = DEFAULT_LEVEL) -> float:
    """The quantile ``0.5 + level / 2`` of Student's t with `df` degrees of freedom, to double
    precision: the root of its upper tail ``0.5 I(df / (df + t^2); df / 2, 1 / 2)``, as
    `scalestudy report` solves it (scipy.stats.t.ppf is only within about 1e-8)."""
    tail = (1.0 - level) / 2

    def excess(t: float) -> float:
        return 0.5 * special.betainc(df / 2, 0.5, df / (df + t * t)) - tail

    high = 2.0
    while excess(high) > 0:
        high *= 2
    return optimize.brentq(excess, 0.0, high, xtol=1e-15, rtol=1e-15)


def t_quantile_975(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom (`t_quantile`)."""
    return t_quantile(df, 0.95)


def t_interval(values: Iterable[float], level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """The Student-t interval of the mean of `values` (NaN skipped): ``mean +- t(level, n-1)
    s / sqrt(n)``; (NaN, NaN) below two values."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return math.nan, math.nan
    half = t_quantile(x.size - 1, level) * float(np.std(x, ddof=1)) / math.sqrt(x.size)
    mean = float(np.mean(x))
    return mean - half, mean + half


def mean_interval(values: Iterable[float]) -> tuple[float, float, float]:
    """(mean, low, high): the mean of `values` with its 95 % Student t-interval; NaN bounds
    below two values (`t_interval`)."""
    x = np.asarray(list(values), dtype=float)
    mean = float(np.mean(x)) if x.size else math.nan
    return (mean, *t_interval(x))


def ratio_interval(numerator: Iterable[float], denominator: Iterable[float],
                   level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """An interval of the ratio of two quantities measured by repetitions (a speed-up T1/Tp
    from the times of the reference's and of the point's repetitions), as `scalestudy report`
    gives it: the ratio of their t-intervals (`t_interval`) at its least and most,
    ``[max(0, low1) / high2, high1 / low2]``, the upper bound infinite when the denominator's
    interval reaches 0. Conservative. (NaN, NaN) unless both sides have two values or more."""
    low1, high1 = t_interval(numerator, level)
    low2, high2 = t_interval(denominator, level)
    if not all(math.isfinite(v) for v in (low1, high1, low2, high2)):
        return math.nan, math.nan
    return max(0.0, low1) / high2, (high1 / low2 if low2 > 0 else math.inf)


def scaling_table(observations: pd.DataFrame, mode: str, *, include_flagged: bool = False,
                  level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Speed-up and efficiency per (group, clients) as `scalestudy report` prints them, plus
    ``repetitions``, ``time_min_s``, ``time_max_s`` (spread over repetitions), ``work_per_s``
    (total iterations / T), ``flags`` (the union of the cell's points' flags), the intervals
    across repetitions (module docstring: ``time_low_s``/``time_high_s`` and
    ``work_per_s_low``/``_high`` of the mean, ``speedup_low``/``_high`` and
    ``efficiency_low``/``_high``, ``inf`` when unbounded) and the configuration columns.
    `mode` is ``strong`` or ``weak``. Points with validity flags are left out (and the
    reference is the smallest count of the points kept) unless `include_flagged`."""
    if mode not in ("strong", "weak"):
        raise ValueError(f"scaling mode must be strong or weak, not {mode!r}")
    used, _ = split_flagged(observations, include_flagged)
    return _scaling_rows(used, used, mode, level)


def left_out_scaling(observations: pd.DataFrame, mode: str, *,
                     level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """The cells `scaling_table` leaves out (points with validity flags), in its columns, with
    speed-up and efficiency against the reference of the points it keeps (NaN when a group
    keeps none): what figures draw as hollow markers."""
    if mode not in ("strong", "weak"):
        raise ValueError(f"scaling mode must be strong or weak, not {mode!r}")
    used, left = split_flagged(observations)
    return _scaling_rows(left, used, mode, level)


def _scaling_rows(cells: pd.DataFrame, references: pd.DataFrame, mode: str,
                  level: float) -> pd.DataFrame:
    """`scaling_table`'s rows for the observations `cells`, each group against the smallest
    client count of the same group in `references`."""
    extra = [c for c in cells.columns
             if c not in ("point_id", "varied", "group", "clients", "repetition", "time_s",
                          "time_op", "work", "flags")]
    rows = []
    for group in pd.unique(cells["group"]):
        mine = cells[cells["group"] == group]
        reference = references[references["group"] == group]
        p1 = int(reference["clients"].min()) if len(reference) else None
        first = reference[reference["clients"] == p1] if p1 is not None else reference
        t1 = float(np.median(first["time_s"].to_numpy())) if len(first) else math.nan
        for clients, cell in sorted(mine.groupby("clients"), key=lambda item: item[0]):
            times = cell["time_s"].to_numpy(float)
            time = float(np.median(times))
            ratio = clients / p1 if p1 else math.nan
            if mode == "strong":
                speedup = t1 / time
                efficiency = speedup / ratio
            else:
                efficiency = t1 / time
                speedup = ratio * efficiency
            # T1/Tp at its least and most (the reference too: its own two intervals).
            low, high = ratio_interval(first["time_s"], times, level)
            to_speedup = 1.0 if mode == "strong" else ratio
            to_efficiency = 1.0 / ratio if mode == "strong" else 1.0
            speedup_ci = (low * to_speedup, high * to_speedup)
            efficiency_ci = (low * to_efficiency, high * to_efficiency)
            rates = (cell["work"] / cell["time_s"]).to_numpy(float)
            head = cell.iloc[0]
            flags = join_flags(*cell["flags"]) if "flags" in cell.columns else ""
            rows.append({"group": group, "point_id": head["point_id"], "varied": head["varied"],
                         "clients": int(clients), "time_s": time, "speedup": speedup,
                         "efficiency": efficiency, "repetitions": len(cell),
                         "time_min_s": float(times.min()), "time_max_s": float(times.max()),
                         "work_per_s": float(np.median(rates)), "flags": flags,
                         "time_low_s": t_interval(times, level)[0],
                         "time_high_s": t_interval(times, level)[1],
                         "speedup_low": speedup_ci[0], "speedup_high": speedup_ci[1],
                         "efficiency_low": efficiency_ci[0], "efficiency_high": efficiency_ci[1],
                         "work_per_s_low": t_interval(rates, level)[0],
                         "work_per_s_high": t_interval(rates, level)[1],
                         **{c: head[c] for c in extra}})
    return pd.DataFrame(rows, columns=[*SCALING_COLUMNS, *extra])


def configuration_key(params: dict) -> tuple:
    """What identifies a point across repetitions (and across result sets, as
    `scalestudy compare` matches them): every parameter but ``output`` and ``repetition``,
    sorted by name, missing values left out."""
    return tuple(sorted((k, _plain(v)) for k, v in params.items()
                        if k not in ("output", "repetition") and not _missing(v)))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def repetition_intervals(summary: pd.DataFrame, points: pd.DataFrame,
                         parameter_names: list[str], *, level: float = DEFAULT_LEVEL
                         ) -> pd.DataFrame:
    """Per point across its repetitions (points equal in every parameter but ``repetition``
    and ``output``) and operation: the mean over repetitions of the per-repetition p50, mean
    and ops/s, each with its Student-t interval (`t_interval`; NaN below two repetitions),
    as the ``repetitions`` rows of `scalestudy report`.
    Columns: point (the swept values without the repetition), point_ids, operation,
    repetitions, n (samples, all repetitions), p50_s, p50_low_s, p50_high_s, mean_s,
    mean_low_s, mean_high_s, ops_per_s, ops_per_s_low, ops_per_s_high, flags (union)."""
    columns = ["point", "point_ids", "operation", "repetitions", "n", "p50_s", "p50_low_s",
               "p50_high_s", "mean_s", "mean_low_s", "mean_high_s", "ops_per_s",
               "ops_per_s_low", "ops_per_s_high", "flags"]
    done = points[points["status"] == "completed"]
    names = [n for n in parameter_names if n in done.columns]
    key_of = {row["id"]: configuration_key({n: row[n] for n in names})
              for row in done.to_dict("records")}
    label_of = {pid: without_repetition(v) for pid, v in zip(done["id"], done["varied"])}
    rows = summary.assign(key=summary["point_id"].map(key_of))
    out = []
    for (_, operation), reps in rows.groupby(["key", "operation"], sort=False):
        record = {"point": label_of.get(reps["point_id"].iloc[0], ""),
                  "point_ids": ",".join(reps["point_id"]), "operation": operation,
                  "repetitions": len(reps), "n": int(reps["n"].sum()),
                  "flags": join_flags(*reps["flags"]) if "flags" in reps else ""}
        for column, low_column, high_column in (
                ("p50_s", "p50_low_s", "p50_high_s"), ("mean_s", "mean_low_s", "mean_high_s"),
                ("ops_per_s", "ops_per_s_low", "ops_per_s_high")):
            values = reps[column].to_numpy(float)
            finite = values[np.isfinite(values)]
            record[column] = float(np.mean(finite)) if finite.size else math.nan
            record[low_column], record[high_column] = t_interval(finite, level)
        out.append(record)
    return pd.DataFrame(out, columns=columns)


def without_repetition(varied: str) -> str:
    """The swept values of a point without its repetition, as `scalestudy compare` labels a
    point ("the only point" when nothing else is swept)."""
    items = [item.strip() for item in str(varied or "").split(",")]
    kept = [item for item in items if item and not item.startswith("repetition=")]
    return ", ".join(kept) if kept else "the only point"


def stragglers(samples: pd.DataFrame, *, level: str = "rank",
               ratio: float = DEFAULT_STRAGGLER_RATIO, include_warmup: bool = False,
               include_failed: bool = False, exclude_outliers: bool = False) -> pd.DataFrame:
    """Per (point, operation, rank or node): n, median and p05/p25/p75/p95 of its samples, the
    point's median of the same operation (all ranks merged), ``ratio`` = median / point median
    and ``straggler`` = ratio > `ratio` (default DEFAULT_STRAGGLER_RATIO = 1.5)."""
    if level not in ("rank", "node"):
        raise ValueError(f"level must be rank or node, not {level!r}")
    keep = selection(samples, include_warmup=include_warmup, include_failed=include_failed,
                     exclude_outliers=exclude_outliers)
    kept = samples.loc[keep, ["point_id", "operation", "rank", "node", "hostname", "seconds"]]
    kept = kept.assign(hostname=kept["hostname"].astype(str))
    point_median = kept.groupby(["point_id", "operation"], sort=False)["seconds"].median()
    keys = ["point_id", "operation", level]
    q = kept.groupby(keys, sort=False)["seconds"]
    frame = pd.DataFrame({"n": q.size(), "median_s": q.median(), "p05_s": q.quantile(0.05),
                          "p25_s": q.quantile(0.25), "p75_s": q.quantile(0.75),
                          "p95_s": q.quantile(0.95)}).reset_index()
    if level == "rank":
        where = kept.drop_duplicates(["point_id", "rank"])[["point_id", "rank", "node",
                                                             "hostname"]]
        frame = frame.merge(where, on=["point_id", "rank"], how="left")
    else:
        hosts = kept.drop_duplicates(["point_id", "node"])[["point_id", "node", "hostname"]]
        frame = frame.merge(hosts, on=["point_id", "node"], how="left")
    frame["point_median_s"] = [point_median[(p, o)] for p, o in
                               zip(frame["point_id"], frame["operation"])]
    frame["ratio"] = frame["median_s"] / frame["point_median_s"]
    frame["straggler"] = frame["ratio"] > ratio
    frame["threshold"] = ratio
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def iteration_breakdown(summary: pd.DataFrame, points: pd.DataFrame,
                        inference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per completed point, the mean seconds per iteration of each client operation of an
    iteration (ITERATION_OPERATIONS present) and of the raw-MPI baseline, the loop time per
    iteration (``loop_time`` and ``raw_loop_time`` means / ``iterations``), and on the database
    side the mean ``queue_s``, ``compute_s`` and ``batch_size`` per request when the point has
    a ``/tables/model_requests`` table. Means, not medians, because means add up along an iteration."""
    mean = summary.pivot_table(index="point_id", columns="operation", values="mean_s",
                               aggfunc="first")
    n = summary.pivot_table(index="point_id", columns="operation", values="n", aggfunc="first")
    frame = points.loc[points["status"] == "completed"].set_index("id")
    rows = []
    for pid, point in frame.iterrows():
        row: dict[str, object] = {"point_id": pid}
        for op in (*ITERATION_OPERATIONS, *BASELINE_OPERATIONS):
            if op in mean.columns and pid in mean.index and n.at[pid, op] > 0:
                row[op] = float(mean.at[pid, op])
        iterations = point.get("iterations")
        for loop in ("loop_time", "raw_loop_time"):
            if (loop in mean.columns and pid in mean.index and n.at[pid, loop] > 0
                    and iterations):
                row[f"{loop}_per_iteration"] = float(mean.at[pid, loop]) / float(iterations)
        rows.append(row)
    out = pd.DataFrame(rows)
    if inference is not None and len(inference):
        db = inference.groupby("point_id")[["queue_s", "compute_s", "batch_size"]].mean()
        out = out.merge(db.reset_index(), on="point_id", how="left")
    return out
