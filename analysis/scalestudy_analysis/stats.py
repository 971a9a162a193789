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
  T1 p1/(Tp p); weak efficiency T1/Tp and scaled speed-up (p/p1) T1/Tp. With repetitions at
  both client counts, 95 % intervals of both: the t-interval of T1's repetitions' mean divided
  by Tp's (low: max(0, T1 low) / Tp high; high: T1 high / Tp low, infinite when Tp low <= 0).

Additions of this package (not in `scalestudy report`): excluding flagged outliers
(`outliers.flag_outliers`), straggler ranks and nodes, and the per-iteration breakdown.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from scipy import optimize, special

from .load import SCALING_AXIS_KEYS, display_value

#: Client operations of one iteration, in the order they run (inference, then throughput).
ITERATION_OPERATIONS = ("put_tensor", "run_script", "run_model", "unpack_tensor")
#: The raw-MPI baseline of the same exchange (`baseline: true`).
BASELINE_OPERATIONS = ("raw_put_tensor", "raw_unpack_tensor")
#: Default straggler threshold: a rank (node) whose median exceeds this many times the point's
#: median of the same operation is a straggler.
DEFAULT_STRAGGLER_RATIO = 1.5

SUMMARY_COLUMNS = ["point_id", "varied", "operation", "n", "mean_s", "std_s", "min_s", "p50_s",
                   "p90_s", "p99_s", "max_s", "clients", "failed", "bytes", "ops_per_s",
                   "bytes_per_s"]


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
    `scalestudy report --format json` (SUMMARY_COLUMNS; seconds and per-second units).
    `points` (Study.points) supplies the ``varied`` text."""
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
               "operation": op.operation, "clients": int(op.rows), "bytes": int(op.bytes)}
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
    throughput) and the configuration keys. Rows follow study order."""
    axis = set(SCALING_AXIS_KEYS) | set(divided_keys)
    config = [k for k in swept_keys if k not in axis]
    times = point_times(samples, points, time_op=time_op, include_warmup=include_warmup)
    frame = points.merge(times, left_on="id", right_on="point_id", how="inner")
    if frame.empty:
        return pd.DataFrame(columns=["point_id", "varied", "group", "clients", "repetition",
                                     "time_s", "time_op", "work", *config])
    frame["group"] = [group_label(row, config) for row in frame.to_dict("records")]
    if "iterations" in frame.columns:
        frame["work"] = frame["iterations"].astype(float) * frame["clients"]
    else:
        frame["work"] = np.nan
    if "repetition" not in frame.columns:
        frame["repetition"] = 0
    columns = ["point_id", "varied", "group", "clients", "repetition", "time_s", "time_op",
               "work", *[c for c in config if c in frame.columns]]
    return frame[columns].reset_index(drop=True)


def t_quantile_975(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom, to double precision:
    the root of its upper tail, as `scalestudy report` solves it (scipy.stats.t.ppf is only
    within about 1e-8)."""
    def tail(t: float) -> float:
        return 0.5 * special.betainc(df / 2, 0.5, df / (df + t * t)) - 0.025
    return optimize.brentq(tail, 1.959963984540054, 1e3, xtol=1e-15, rtol=1e-15)


def mean_interval(values) -> tuple[float, float, float]:
    """(mean, low, high): the mean of `values` with its 95 % Student t-interval; NaN bounds
    below two values."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if len(values) < 2:
        return (mean, math.nan, math.nan)
    half = t_quantile_975(len(values) - 1) * float(values.std(ddof=1)) / math.sqrt(len(values))
    return (mean, mean - half, mean + half)


def scaling_table(observations: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Speed-up and efficiency per (group, clients) as `scalestudy report` prints them, plus
    ``repetitions``, ``time_min_s``, ``time_max_s`` (spread over repetitions), ``work_per_s``
    (total iterations / T) and the configuration columns. `mode` is ``strong`` or ``weak``."""
    if mode not in ("strong", "weak"):
        raise ValueError(f"scaling mode must be strong or weak, not {mode!r}")
    extra = [c for c in observations.columns
             if c not in ("point_id", "varied", "group", "clients", "repetition", "time_s",
                          "time_op", "work")]
    rows = []
    for group in pd.unique(observations["group"]):
        cells = observations[observations["group"] == group]
        by_clients = sorted(cells.groupby("clients"), key=lambda item: item[0])
        p1, first = by_clients[0]
        t1 = float(np.median(first["time_s"].to_numpy()))
        _, t1_low, t1_high = mean_interval(first["time_s"].to_numpy())
        for clients, cell in by_clients:
            time = float(np.median(cell["time_s"].to_numpy()))
            ratio = clients / p1
            if mode == "strong":
                speedup = t1 / time
                efficiency = speedup / ratio
            else:
                efficiency = t1 / time
                speedup = ratio * efficiency
            # T1/Tp at its most and least: the two times' intervals divided.
            _, tp_low, tp_high = mean_interval(cell["time_s"].to_numpy())
            low = high = math.nan
            if not math.isnan(t1_low) and not math.isnan(tp_low):
                low = max(0.0, t1_low) / tp_high
                high = t1_high / tp_low if tp_low > 0 else math.inf
            to_speedup = 1.0 if mode == "strong" else ratio
            to_efficiency = 1.0 / ratio if mode == "strong" else 1.0
            head = cell.iloc[0]
            rows.append({"group": group, "point_id": head["point_id"], "varied": head["varied"],
                         "clients": int(clients), "time_s": time, "speedup": speedup,
                         "efficiency": efficiency, "repetitions": len(cell),
                         "speedup_ci": [low * to_speedup, high * to_speedup],
                         "efficiency_ci": [low * to_efficiency, high * to_efficiency],
                         "time_min_s": float(cell["time_s"].min()),
                         "time_max_s": float(cell["time_s"].max()),
                         "work_per_s": float(np.median(cell["work"] / cell["time_s"])),
                         **{c: head[c] for c in extra}})
    return pd.DataFrame(rows, columns=["group", "point_id", "varied", "clients", "time_s",
                                       "speedup", "efficiency", "repetitions", "speedup_ci",
                                       "efficiency_ci", "time_min_s",
                                       "time_max_s", "work_per_s", *extra])


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
