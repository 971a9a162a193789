"""Figure builders. Each returns a matplotlib Figure (shown inline by notebooks); `save`
writes it as PNG and PDF. The figures are described in analysis/README.md.

Colours are fixed per series value (Okabe-Ito, colour-blind safe) so that a tensor size, say,
has the same colour in every figure; operations have fixed colours in the breakdown.

Validity flags (load.py): every figure draws a flagged point hollow and grey (markers with a
white face and a grey edge, hollow violins, bars and boxes), with a legend entry naming the
flags and whether the point is kept (``--include-flagged``) or left out of the lines, tables
and fits (then its marker is not joined to the others). ``few_samples`` alone does not make a
point hollow: it concerns percentiles, whose markers are drawn open instead (p99 from fewer
than 100 samples). Intervals (95 %) are drawn as bars; an end beyond the axes is cut at the
edge.
"""

from __future__ import annotations

import math
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from .fits import Fit
from .load import P99_SAMPLES, display_value, join_flags, split_flags, without_flags
from .stats import BASELINE_OPERATIONS, ITERATION_OPERATIONS, selection

STYLE = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
    "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.grid": True, "grid.alpha": 0.3,
    "grid.linewidth": 0.6, "axes.spines.top": False, "axes.spines.right": False,
    "savefig.dpi": 200, "savefig.bbox": "tight", "pdf.fonttype": 42, "legend.frameon": False,
}
#: Okabe-Ito colours, then tab20 for more series.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000"] + [matplotlib.colors.to_hex(c) for c in plt.get_cmap("tab20").colors]
OPERATION_COLORS = {"put_tensor": "#0072B2", "run_script": "#E69F00", "run_model": "#009E73",
                    "unpack_tensor": "#D55E00", "other": "#BBBBBB", "queue_s": "#CC79A7",
                    "compute_s": "#56B4E9"}
MAX_VIOLIN_SAMPLES = 20000
#: Edge colour of flagged (hollow) markers, violins, bars and boxes.
FLAGGED_COLOR = "0.5"
#: Flags that concern percentiles only: they open the p99 marker instead of the point's.
PERCENTILE_FLAGS = ("few_samples",)


@contextmanager
def style() -> Iterator[None]:
    """The figures' rcParams (STYLE) for the duration of a block. `plt.rc_context` restores
    every parameter on exit, including the interactive mode that an inline backend (Jupyter)
    switches on when the first figure is made inside the block, which would stop later
    figures from showing: that one is kept."""
    with plt.rc_context(STYLE):
        try:
            yield
        finally:
            interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)


def save(fig: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Writes `fig` as ``out_dir/stem.png`` and ``out_dir/stem.pdf``; returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"]
    with style():
        for path in paths:
            fig.savefig(path)
    return paths


def series_colors(values: Iterable[Any]) -> dict[Any, str]:
    """A fixed colour per value, in order of first appearance (study order)."""
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(pd.unique(pd.Series(list(values))))}


def time_unit(seconds: Iterable[float]) -> tuple[float, str]:
    """(scale, unit) so that ``seconds x scale`` reads well: s, ms, us or ns."""
    values = np.abs(np.asarray(list(seconds), dtype=float))
    values = values[np.isfinite(values) & (values > 0)]
    typical = float(np.median(values)) if values.size else 1.0
    for scale, unit in ((1.0, "s"), (1e3, "ms"), (1e6, "µs")):
        if typical * scale >= 1:
            return scale, unit
    return 1e9, "ns"


def format_seconds(value: float) -> str:
    """A duration with the unit that suits it: ``20 µs``, ``1.5 ms``, ``2 s``."""
    if value <= 0 or not np.isfinite(value):
        return f"{value:g}"
    scale, unit = time_unit([value])
    return f"{value * scale:.3g} {unit}"


def format_count(value: float) -> str:
    """A count with an SI suffix: ``500``, ``20k``, ``1.5M``."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def format_rate(value: float, unit: str) -> str:
    """A rate with an SI prefix, as `scalestudy report` prints it: ``1.09 Mop/s``; empty when
    not positive."""
    if value is None or not np.isfinite(value) or value <= 0:
        return ""
    prefixes = ["", "k", "M", "G", "T"]
    i = 0
    while value >= 1000 and i < 4:
        value /= 1000
        i += 1
    return f"{value:.3g} {prefixes[i]}{unit}"


def _label(key: str | None, value: Any) -> str:
    return "all points" if key is None else f"{key}={display_value(key, value)}"


def _log2_clients_axis(ax: plt.Axes, clients: Sequence[float]) -> None:
    ax.set_xscale("log", base=2)
    ticks = sorted(set(float(c) for c in clients))
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(ticks[0] / 1.25, ticks[-1] * 1.25)


def log_ticks(ax: plt.Axes, kind: str = "seconds", log10_values: bool = False) -> None:
    """Makes the y axis logarithmic with readable ticks: at 1-2-5 steps when it spans under
    2.5 decades, at decades otherwise, labelled as durations (`kind` "seconds"), SI counts
    ("count") or plain numbers ("plain"). With `log10_values` the plotted values are already
    log10 of the quantity (violins) and the axis itself stays linear. Call after plotting."""
    label = {"seconds": format_seconds, "count": format_count,
             "plain": lambda v: f"{v:.3g}"}[kind]
    if not log10_values:
        ax.set_yscale("log")
    low, high = ax.get_ylim()
    if not log10_values:
        low, high = math.log10(low), math.log10(high)
    for mantissas in ((1,), (1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
        ticks = [math.log10(m) + d for d in range(math.floor(low) - 1, math.ceil(high) + 1)
                 for m in mantissas]
        ticks = [t for t in ticks if low <= t <= high]
        if len(ticks) >= 3 or mantissas[-1] == 7:
            break
    values = [10.0 ** t for t in ticks]
    if log10_values:
        ax.set_yticks(ticks, [label(v) for v in values])
        ax.set_ylim(low, high)
    else:
        ax.set_yticks(values, [label(v) for v in values])
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(10.0 ** low, 10.0 ** high)


def _legend_right(ax: plt.Axes, handles: list | None = None, title: str | None = None) -> None:
    kwargs = {"handles": handles} if handles is not None else {}
    ax.legend(**kwargs, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0)


# --- validity flags and intervals -----------------------------------------------------------


def point_flags(frame: pd.DataFrame) -> np.ndarray:
    """Per row of `frame`, its flags that make a point hollow (all but PERCENTILE_FLAGS); ""
    for every row when `frame` has no ``flags`` column."""
    if "flags" not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return np.array([without_flags(f, *PERCENTILE_FLAGS) for f in frame["flags"]], dtype=object)


def _left_out(frame: pd.DataFrame) -> np.ndarray:
    if "left_out" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["left_out"].fillna(False).to_numpy(bool)


def flag_handles(frame: pd.DataFrame, marker: str = "o", what: str = "point") -> list[Line2D]:
    """Legend entries for the hollow markers of `frame`'s flagged rows: one for those kept
    (``--include-flagged``), one for those left out (``left_out``); none when nothing is
    flagged."""
    flags = point_flags(frame)
    left = _left_out(frame)
    handles = []
    for rows, how in ((flags.astype(bool) & ~left, "kept (--include-flagged)"),
                      (flags.astype(bool) & left, "left out of lines, tables and fits")):
        if rows.any():
            text = join_flags(*flags[rows]).replace(",", ", ")
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=6,
                                  markerfacecolor="white", markeredgecolor=FLAGGED_COLOR,
                                  markeredgewidth=1.4,
                                  label=f"hollow grey: flagged {what}\n({text}), {how}"))
    return handles


def _series(ax: plt.Axes, x: np.ndarray, y: np.ndarray, color: str, flags: np.ndarray,
            left_out: np.ndarray, *, linestyle: str = "-", marker: str = "o",
            markersize: float = 5, linewidth: float = 1.6, open_markers: np.ndarray | None
            = None) -> None:
    """One series: a line through the points not left out, filled markers for valid points,
    hollow grey ones for flagged points (`flags` non-empty), open ones in the series' colour
    where `open_markers` (a percentile from too few samples)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    flagged = np.asarray(flags).astype(bool)
    opened = np.zeros(len(x), bool) if open_markers is None else np.asarray(open_markers, bool)
    joined = ~np.asarray(left_out, bool)
    ax.plot(x[joined], y[joined], linestyle=linestyle, color=color, linewidth=linewidth)
    solid = ~flagged & ~opened
    ax.plot(x[solid], y[solid], marker=marker, linestyle="none", color=color,
            markersize=markersize)
    ax.plot(x[~flagged & opened], y[~flagged & opened], marker=marker, linestyle="none",
            markerfacecolor="white", markeredgecolor=color, markersize=markersize)
    ax.plot(x[flagged], y[flagged], marker=marker, linestyle="none", markerfacecolor="white",
            markeredgecolor=FLAGGED_COLOR, markeredgewidth=1.4, markersize=markersize + 1)


def interval_bars(ax: plt.Axes, x: Sequence[float], low: Sequence[float],
                  high: Sequence[float], color: str | Sequence[str]) -> None:
    """Vertical bars from `low` to `high` at `x` (NaN: none), with caps. Call once the axes'
    limits are set by the data: ends beyond them are cut at the edge (the bar runs off)."""
    x, low, high = (np.asarray(v, dtype=float) for v in (x, low, high))
    colors = [color] * len(x) if isinstance(color, str) else list(color)
    bottom, top = ax.get_ylim()
    log = ax.get_yscale() == "log"
    floor = bottom / 10 if log else bottom - (top - bottom)
    ceiling = top * 10 if log else top + (top - bottom)
    for xi, lo, hi, c in zip(x, low, high, colors):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue
        lo, hi = max(lo, floor), min(hi, ceiling)
        ax.plot([xi, xi], [lo, hi], color=c, linewidth=1.0, alpha=0.8)
        ax.plot([xi, xi], [lo, hi], linestyle="none", marker="_", markersize=7, color=c,
                alpha=0.8)
    ax.set_ylim(bottom, top)


def _row_bars(ax: plt.Axes, rows: pd.DataFrame, low: str, high: str, color: str) -> None:
    """`interval_bars` of the rows not left out (a left-out point's interval says nothing the
    hollow marker does not), grey for flagged rows."""
    rows = rows[~_left_out(rows)]
    colors = [FLAGGED_COLOR if f else color for f in point_flags(rows)]
    interval_bars(ax, rows["clients"], _col(rows, low), _col(rows, high), colors)


def _interval_handles(frame: pd.DataFrame, *columns: str) -> list[Line2D]:
    """The legend entry of the interval bars, when `frame` has one to draw."""
    drawn = frame[~_left_out(frame)]
    if not any(np.isfinite(_col(drawn, c)).any() for c in columns):
        return []
    return [Line2D([], [], color="0.3", marker="_", markersize=7, linewidth=1.0,
                   label="bars: 95% interval\nover repetitions")]


# --- violins ------------------------------------------------------------------------------


def violin(samples: pd.DataFrame, operation: str, *, by: str | None = None,
           facet: str | Sequence[str] | None = None, include_warmup: bool = False,
           include_failed: bool = False, exclude_outliers: bool = False) -> Figure:
    """SmartSim-Scaling's violin plot: the distribution of `operation`'s time per call against
    the total number of clients, one series per value of `by` (any number), one panel per
    value (or combination of values) of the `facet` parameters. Means are marked (thick tick)
    and joined by a dotted line, medians (dot) and p99 (triangle; open when from fewer than
    100 samples) marked; extrema are the whiskers. A violin of flagged points (samples'
    ``flags``, percentile flags aside) is hollow and grey. Time is on a log scale: violins are
    estimated on log10 of the time, so their shapes are true on that axis."""
    keep = selection(samples, include_warmup=include_warmup, include_failed=include_failed,
                     exclude_outliers=exclude_outliers)
    data = samples[keep & (samples["operation"] == operation).to_numpy()]
    if data.empty:
        raise ValueError(f"no samples of {operation} to plot")
    clients = sorted(data["clients"].unique())
    series = list(pd.unique(data[by])) if by else [None]
    keys = [facet] if isinstance(facet, str) else list(facet or [])
    panels = [(title, data.iloc[index]) for title, index in _panels(data, keys)]
    colors = series_colors(series)
    width = 0.8 / len(series)
    rng = np.random.default_rng(0)
    flagged_seen: list[str] = []
    few_seen = False
    with style():
        fig, axes = _panel_grid(len(panels), 3.3, 3.5, sharey=True)
        for ax, (title, part) in zip(axes, panels):
            for i, value in enumerate(series):
                mine = part if by is None else part[part[by] == value]
                positions, means = [], []
                for x, count in enumerate(clients):
                    cell = mine[mine["clients"] == count]
                    seconds = cell["seconds"].to_numpy()
                    seconds = seconds[seconds > 0]
                    if seconds.size == 0:
                        continue
                    flags = join_flags(*pd.unique(point_flags(cell)))
                    flagged_seen.append(flags)
                    few_seen |= seconds.size < P99_SAMPLES
                    position = x + (i - (len(series) - 1) / 2) * width
                    _one_violin(ax, seconds, position, width, colors[value], rng,
                                flagged=bool(flags))
                    positions.append(position)
                    means.append(math.log10(float(np.mean(seconds))))
                ax.plot(positions, means, ":", color=colors[value], linewidth=1.4)
            ax.set_xticks(range(len(clients)), [str(c) for c in clients])
            ax.set_xlim(-0.6, len(clients) - 0.4)
            ax.set_xlabel("Number of clients")
            ax.grid(axis="x", visible=False)
            if title:
                ax.set_title(title, fontsize=10)
        log_ticks(axes[0], "seconds", log10_values=True)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel(f"{operation}: time per call (log)")
        handles = [Patch(facecolor=colors[v], edgecolor=colors[v], alpha=0.45,
                         label=_label(by, v) if by else operation) for v in series]
        handles.append(Line2D([], [], color="0.3", linestyle=":", label="mean"))
        handles.append(Line2D([], [], color="0.3", marker="o", markersize=4, linestyle="none",
                              markeredgecolor="white", label="median"))
        handles.append(Line2D([], [], color="0.3", marker="^", markersize=5, linestyle="none",
                              label="p99"))
        if few_seen:
            handles.append(Line2D([], [], color="0.3", marker="^", markersize=5,
                                  linestyle="none", markerfacecolor="white",
                                  label=f"p99 from < {P99_SAMPLES} samples"))
        flagged = join_flags(*flagged_seen)
        if flagged:
            handles.append(Patch(facecolor="none", edgecolor=FLAGGED_COLOR, linestyle="--",
                                 label=f"hollow grey: flagged points\n"
                                       f"({flagged.replace(',', ', ')})"))
        _legend_right(axes[min(2, len(axes) - 1)], handles)
        fig.suptitle(f"{operation}: time per call vs. clients", fontsize=11)
    return fig


def _panels(frame: pd.DataFrame, keys: list[str]) -> list[tuple[str, np.ndarray]]:
    """(title, row positions) per combination of `keys`' values, in order of appearance."""
    if not keys:
        return [("", np.arange(len(frame)))]
    out = []
    for values, index in frame.groupby(keys, sort=False).indices.items():
        values = values if isinstance(values, tuple) else (values,)
        out.append((", ".join(_label(k, v) for k, v in zip(keys, values)), index))
    return out


def _panel_grid(count: int, width: float, height: float, sharey: bool = False,
                ncols: int = 3) -> tuple[Figure, list[plt.Axes]]:
    """A figure of `count` panels, at most `ncols` per row (unused cells hidden), with room on
    the right for a legend."""
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(6.5, width * ncols + 2.4),
                                                    height * nrows + 0.7),
                             sharey=sharey, layout="constrained", squeeze=False)
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _one_violin(ax: plt.Axes, seconds: np.ndarray, position: float, width: float, color: str,
                rng: np.random.Generator, flagged: bool = False) -> None:
    """One violin of `seconds` (> 0) on the log10 axis: body, whiskers at the extrema, mean
    (thick tick), median (dot), p99 (triangle, open from fewer than P99_SAMPLES samples)."""
    values = np.log10(seconds)
    finite = np.isfinite(values)
    values, seconds = values[finite], seconds[finite]
    body = values if values.size <= MAX_VIOLIN_SAMPLES else rng.choice(
        values, MAX_VIOLIN_SAMPLES, replace=False)
    if values.size > 1 and np.ptp(values) > 0:
        parts = ax.violinplot([body], positions=[position], widths=width * 0.92,
                              showextrema=False, showmeans=False, points=120)
        for poly in parts["bodies"]:
            if flagged:
                poly.set_facecolor("none")
                poly.set_edgecolor(FLAGGED_COLOR)
                poly.set_linestyle("--")
                poly.set_alpha(1.0)
            else:
                poly.set_facecolor(color)
                poly.set_edgecolor(color)
                poly.set_alpha(0.3)
    low, high = float(values.min()), float(values.max())
    mean = math.log10(float(np.mean(seconds)))
    median, p99 = (math.log10(float(v)) for v in np.percentile(seconds, [50, 99]))
    cap = width * 0.25
    line = FLAGGED_COLOR if flagged else color
    ax.vlines(position, low, high, color=line, linewidth=0.8)
    ax.hlines([low, high], position - cap, position + cap, color=line, linewidth=0.8)
    ax.hlines(mean, position - cap * 1.6, position + cap * 1.6, color=color, linewidth=1.8)
    ax.plot([position], [median], marker="o", markersize=4, color=color,
            markeredgecolor="white", markeredgewidth=0.6, zorder=4)
    few = seconds.size < P99_SAMPLES
    ax.plot([position], [p99], marker="^", markersize=5, color=color, zorder=4,
            markerfacecolor="white" if few else color)


# --- scaling -------------------------------------------------------------------------------


def _rows_of(frame: pd.DataFrame, group: Any) -> pd.DataFrame:
    return frame[frame["group"] == group].sort_values("clients", kind="stable")


def _col(frame: pd.DataFrame, column: str) -> np.ndarray:
    return (frame[column].to_numpy(float) if column in frame.columns
            else np.full(len(frame), np.nan))


def scaling_time(table: pd.DataFrame, mode: str, time_op: str = "loop_time") -> Figure:
    """Time (the slowest client's `time_op`, median over repetitions; bars: 95 % interval over
    repetitions, `stats.scaling_table`'s ``time_low_s``/``time_high_s``) against client ranks
    on log-log axes, one line per group, with each group's ideal (dashed) from its reference:
    strong scaling ``T1 p1 / p``, weak scaling ``T1``. Rows with ``flags`` are hollow and grey;
    rows with ``left_out`` (`stats.left_out_scaling`) are not joined."""
    colors = series_colors(table["group"])
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 4.4), layout="constrained")
        handles = []
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            p, t = rows["clients"].to_numpy(float), rows["time_s"].to_numpy(float)
            left = _left_out(rows)
            _series(ax, p, t, colors[group], point_flags(rows), left)
            handles.append(Line2D([], [], color=colors[group], marker="o", label=group))
            if (~left).any():
                p1, t1 = p[~left][0], t[~left][0]
                ideal = t1 * p1 / p if mode == "strong" else np.full_like(p, t1)
                ax.plot(p, ideal, "--", color=colors[group], linewidth=1.0, alpha=0.8)
        _log2_clients_axis(ax, table["clients"])
        ax.set_yscale("log")
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            _row_bars(ax, rows, "time_low_s", "time_high_s", colors[group])
        log_ticks(ax, "seconds")
        ax.set_xlabel("Client ranks p")
        ax.set_ylabel(f"Time T: slowest client's {time_op}")
        handles.append(Line2D([], [], color="0.3", linestyle="--", label=(
            "ideal: T1·p1/p" if mode == "strong" else "ideal: T1 (constant)")))
        handles += _interval_handles(table, "time_low_s")
        handles += flag_handles(table)
        _legend_right(ax, handles)
        ax.set_title(f"Time vs. clients ({mode} scaling; median over repetitions)")
    return fig


def scaling_throughput(table: pd.DataFrame, rates: pd.DataFrame) -> Figure:
    """Throughput against client ranks, log-log, one line per group with its ideal (dashed,
    linear from the smallest point kept): the first panel is loop iterations per second over
    all clients (total iterations / T), then one panel per repeated operation (calls per
    second, summed over clients, as `scalestudy report`'s ops/s). `rates` has columns group,
    clients, operation, ops_per_s (medians over repetitions) and optionally ops_per_s_low,
    ops_per_s_high (95 % interval, drawn as bars), flags and left_out, as `table` may."""
    operations = [op for op in (*ITERATION_OPERATIONS, *BASELINE_OPERATIONS)
                  if op in set(rates["operation"])]
    operations += sorted(set(rates["operation"]) - set(operations))
    panels = [("loop iterations", table.rename(columns={
        "work_per_s": "rate", "work_per_s_low": "low", "work_per_s_high": "high"}))]
    panels += [(op, rates[rates["operation"] == op].rename(columns={
        "ops_per_s": "rate", "ops_per_s_low": "low", "ops_per_s_high": "high"}))
        for op in operations]
    colors = series_colors(table["group"])
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.8, 3.3 * nrows),
                                 layout="constrained", squeeze=False)
        for ax, (name, frame) in zip(axes.flat, panels):
            drawn = []
            for group in pd.unique(table["group"]):
                rows = _rows_of(frame, group)
                rows = rows[np.isfinite(rows["rate"].to_numpy(float))]
                if rows.empty:
                    continue
                p, x = rows["clients"].to_numpy(float), rows["rate"].to_numpy(float)
                left = _left_out(rows)
                _series(ax, p, x, colors[group], point_flags(rows), left, markersize=4)
                if (~left).any():
                    ax.plot(p, x[~left][0] * p / p[~left][0], "--", color=colors[group],
                            linewidth=1.0, alpha=0.8)
                drawn.append((group, rows))
            _log2_clients_axis(ax, table["clients"])
            if drawn:
                ax.set_yscale("log")
                for group, rows in drawn:
                    _row_bars(ax, rows, "low", "high", colors[group])
                log_ticks(ax, "count")
            ax.set_title(name)
            ax.set_xlabel("Client ranks p")
            ax.set_ylabel("iterations/s, all clients" if name == "loop iterations"
                          else "calls/s, all clients")
        for ax in axes.flat[len(panels):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=colors[g], marker="o", markersize=4, label=g)
                   for g in pd.unique(table["group"])]
        handles.append(Line2D([], [], color="0.3", linestyle="--", label="ideal: linear in p"))
        handles += (_interval_handles(table, "work_per_s_low")
                    or _interval_handles(rates, "ops_per_s_low"))
        handles += flag_handles(pd.concat([table, rates], ignore_index=True))
        _legend_right(axes[0][-1], handles)
        fig.suptitle("Throughput vs. clients (log-log, medians over repetitions)", fontsize=11)
    return fig


def efficiency(table: pd.DataFrame, mode: str) -> Figure:
    """Speed-up (log-log, ideal dashed) and parallel efficiency (ideal 1) against client ranks,
    one line per group: strong T1/Tp and T1 p1/(Tp p); weak (p/p1) T1/Tp and T1/Tp. Bars: 95 %
    intervals over repetitions (``speedup_low``/``_high``, ``efficiency_low``/``_high``);
    flagged rows hollow and grey, ``left_out`` rows not joined."""
    colors = series_colors(table["group"])
    strong = mode == "strong"
    with style():
        fig, (left_ax, right_ax) = plt.subplots(1, 2, figsize=(10.0, 4.0), layout="constrained")
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            p = rows["clients"].to_numpy(float)
            flags, left = point_flags(rows), _left_out(rows)
            _series(left_ax, p, rows["speedup"], colors[group], flags, left)
            _series(right_ax, p, rows["efficiency"], colors[group], flags, left)
        kept = table[~_left_out(table)]
        for p1 in kept.groupby("group")["clients"].min().unique():
            p = np.array(sorted(c for c in table["clients"].unique() if c >= p1), dtype=float)
            left_ax.plot(p, p / p1, "--", color="0.35", linewidth=1.0)
        right_ax.axhline(1.0, linestyle="--", color="0.35", linewidth=1.0)
        for ax in (left_ax, right_ax):
            _log2_clients_axis(ax, table["clients"])
            ax.set_xlabel("Client ranks p")
        left_ax.set_yscale("log")
        values = table["efficiency"].to_numpy(float)
        top = max(1.1, float(np.nanmax(values)) * 1.1) if np.isfinite(values).any() else 1.1
        right_ax.set_ylim(0, top)
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            _row_bars(left_ax, rows, "speedup_low", "speedup_high", colors[group])
            _row_bars(right_ax, rows, "efficiency_low", "efficiency_high", colors[group])
        log_ticks(left_ax, "plain")
        left_ax.set_ylabel("speed-up T1/Tp" if strong else "scaled speed-up (p/p1)·T1/Tp")
        right_ax.set_ylabel("efficiency T1·p1/(Tp·p)" if strong else "efficiency T1/Tp")
        left_ax.set_title("Speed-up (dashed: ideal p/p1)")
        right_ax.set_title("Parallel efficiency (dashed: ideal 1)")
        handles = [Line2D([], [], color=colors[g], marker="o", label=g)
                   for g in pd.unique(table["group"])]
        handles += _interval_handles(table, "speedup_low", "efficiency_low")
        handles += flag_handles(table)
        _legend_right(right_ax, handles)
        fig.suptitle(f"{mode.capitalize()} scaling against each group's smallest point p1",
                     fontsize=11)
    return fig


# --- breakdown -----------------------------------------------------------------------------


def breakdown(table: pd.DataFrame) -> Figure:
    """Stacked mean time of one iteration per client count, one panel per group (the swept
    configuration, own time scale): the store bar stacks put_tensor / run_script / run_model /
    unpack_tensor (those present) and ``other`` (loop time per iteration minus their sum); the
    hatched bar the raw-MPI baseline of the same exchange, when recorded; a database bar stacks
    the mean queue and compute time per request when the points have ``/tables/model_requests`` data.
    `table` is `stats.iteration_breakdown` with the points' ``clients`` and ``group`` (and
    ``flags``: the bars of a client count with a flagged point are hollow);
    repetitions are averaged. Each bar is labelled with its total."""
    has_raw = any(op in table.columns for op in BASELINE_OPERATIONS)
    has_db = "queue_s" in table.columns and table["queue_s"].notna().any()
    values = [c for c in table.columns if c not in ("point_id", "group", "clients", "flags")]
    cells = table.assign(flags=point_flags(table)).groupby(["group", "clients"], sort=False)
    means = cells[values].mean(numeric_only=True).reset_index()
    means["flags"] = [join_flags(*cells.get_group((g, c))["flags"])
                      for g, c in zip(means["group"], means["clients"])]
    groups = list(pd.unique(means["group"]))
    bars = ["store"] + (["raw MPI"] if has_raw else []) + (["database"] if has_db else [])
    width = 0.8 / len(bars)
    with style():
        fig, axes = _panel_grid(len(groups), 3.4, 3.4)
        for ax, group in zip(axes, groups):
            part = means[means["group"] == group].sort_values("clients")
            scale, unit = time_unit(_breakdown_totals(part))
            for x, (_, row) in enumerate(part.iterrows()):
                for b, bar in enumerate(bars):
                    position = x + (b - (len(bars) - 1) / 2) * width
                    _stack(ax, position, width * 0.9, _segments(row, bar), scale,
                           hollow=bool(row["flags"]))
            ax.set_xticks(range(len(part)), [str(int(c)) for c in part["clients"]])
            ax.set_xlabel("Number of clients")
            ax.set_ylabel(f"time per iteration ({unit})")
            ax.margins(y=0.12)
            ax.grid(axis="x", visible=False)
            ax.set_title("\n".join(textwrap.wrap(group, 36)), fontsize=10)
        present = [op for op in (*ITERATION_OPERATIONS, "other") if _has(means, op)]
        handles = [Patch(facecolor=OPERATION_COLORS[op], label=op) for op in present]
        if has_raw:
            handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="///",
                                 label="hatched: raw MPI baseline"))
        if has_db:
            handles += [Patch(facecolor=OPERATION_COLORS["queue_s"], label="database: queue"),
                        Patch(facecolor=OPERATION_COLORS["compute_s"],
                              label="database: compute")]
        flagged = join_flags(*means["flags"])
        if flagged:
            handles.append(Patch(facecolor="white", edgecolor=FLAGGED_COLOR, linestyle="--",
                                 label=f"hollow: flagged point\n({flagged.replace(',', ', ')})"))
        _legend_right(axes[min(2, len(axes) - 1)], handles)
        fig.suptitle(f"Mean time per iteration (bars per client count: {' | '.join(bars)})",
                     fontsize=11)
    return fig


def _has(table: pd.DataFrame, op: str) -> bool:
    if op == "other":
        return any(_segments(row, "store")[-1][0] == "other" for _, row in table.iterrows())
    return op in table.columns and table[op].notna().any()


def _segments(row: pd.Series, bar: str) -> list[tuple[str, float, bool]]:
    """(colour key, seconds, hatched) segments of one bar, bottom to top."""
    if bar == "database":
        return [(k, float(row.get(k, math.nan)), False) for k in ("queue_s", "compute_s")]
    raw = bar == "raw MPI"
    ops = [("put_tensor", "raw_put_tensor"), ("unpack_tensor", "raw_unpack_tensor")] if raw \
        else [(op, op) for op in ITERATION_OPERATIONS]
    segments = [(color, float(row.get(column, math.nan)), raw) for color, column in ops]
    loop = float(row.get("raw_loop_time_per_iteration" if raw else "loop_time_per_iteration",
                         math.nan))
    measured = sum(s for _, s, _ in segments if np.isfinite(s))
    if np.isfinite(loop) and loop > measured:
        segments.append(("other", loop - measured, raw))
    return segments


def _breakdown_totals(part: pd.DataFrame) -> list[float]:
    totals = []
    for _, row in part.iterrows():
        for bar in ("store", "raw MPI", "database"):
            totals.append(sum(s for _, s, _ in _segments(row, bar) if np.isfinite(s)))
    return [t for t in totals if t > 0]


def _stack(ax: plt.Axes, position: float, width: float, segments: list, scale: float,
           hollow: bool = False) -> None:
    bottom = 0.0
    for color, seconds, hatched in segments:
        if not np.isfinite(seconds) or seconds <= 0:
            continue
        if hollow:   # a flagged point: outlined in the segment's colour, dashed
            ax.bar(position, seconds * scale, width, bottom=bottom, color="white",
                   edgecolor=OPERATION_COLORS[color], linewidth=1.0, linestyle="--",
                   hatch="///" if hatched else None)
        else:
            ax.bar(position, seconds * scale, width, bottom=bottom,
                   color=OPERATION_COLORS[color],
                   edgecolor="white" if not hatched else "0.25", linewidth=0.5,
                   hatch="///" if hatched else None)
        bottom += seconds * scale
    if bottom > 0:
        label = f"{bottom:.0f}" if bottom >= 1000 else f"{bottom:.3g}"
        ax.annotate(label, (position, bottom), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7,
                    color="0.25")


# --- per-rank and per-node distributions -----------------------------------------------------


def rank_distributions(ranks: pd.DataFrame, nodes: pd.DataFrame, points: pd.DataFrame,
                       operation: str, point_ids: Sequence[str]) -> Figure:
    """Per-rank distributions of `operation` (boxes: p25-p75, whiskers p05-p95, line: median)
    in each of `point_ids`, ranks grouped by node (shaded bands, node median as a thick bar).
    Stragglers are red: ranks (and nodes) whose median exceeds the threshold (dotted red line,
    ``ratio x`` the point's median, solid grey). `ranks` and `nodes` are `stats.stragglers`
    frames at level rank and node. The boxes of a flagged point (``points["flags"]``) are
    hollow and its title says why."""
    ncols = min(3, len(point_ids))
    nrows = math.ceil(len(point_ids) / ncols)
    mine = ranks[ranks["operation"] == operation]
    varied = dict(zip(points["id"], points["varied"]))
    flags_of = dict(zip(points["id"], point_flags(points)))
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols + 2.2, 3.4 * nrows + 0.4),
                                 layout="constrained", squeeze=False)
        for ax, pid in zip(axes.flat, point_ids):
            rows = mine[mine["point_id"] == pid].sort_values(["node", "rank"])
            node_rows = nodes[(nodes["operation"] == operation) & (nodes["point_id"] == pid)]
            flags = flags_of.get(pid, "")
            _rank_panel(ax, rows, node_rows, hollow=bool(flags))
            title = varied.get(pid) or pid
            if flags:
                title = f"[flagged: {flags.replace(',', ', ')}] {title}"
            ax.set_title("\n".join(textwrap.wrap(title, 44)), fontsize=9,
                         color=FLAGGED_COLOR if flags else "black")
            ax.set_ylabel(f"{operation} time per call")
            ax.set_xlabel("rank (bands: nodes)")
        for ax in axes.flat[len(point_ids):]:
            ax.set_visible(False)
        threshold = float(mine["threshold"].iloc[0]) if len(mine) else math.nan
        handles = [Patch(facecolor="#9ecae1", edgecolor="0.3",
                         label="rank: box p25–p75,\nwhiskers p05–p95"),
                   Patch(facecolor="#D55E00", edgecolor="0.3", label="straggler rank"),
                   Line2D([], [], color="0.2", linewidth=3, label="node median\n(red: straggler)"),
                   Line2D([], [], color="0.45", label="point median"),
                   Line2D([], [], color="#D55E00", linestyle=":",
                          label=f"straggler threshold\n({threshold:g}× point median)")]
        flagged = join_flags(*(flags_of.get(pid, "") for pid in point_ids))
        if flagged:
            handles.append(Patch(facecolor="white", edgecolor=FLAGGED_COLOR,
                                 label=f"hollow boxes: flagged point\n"
                                       f"({flagged.replace(',', ', ')})"))
        _legend_right(axes[0][-1], handles)
        fig.suptitle(f"{operation}: per-rank and per-node distributions", fontsize=11)
    return fig


def _rank_panel(ax: plt.Axes, rows: pd.DataFrame, nodes: pd.DataFrame,
                hollow: bool = False) -> None:
    if rows.empty:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        return
    stats = [{"med": r.median_s, "q1": r.p25_s, "q3": r.p75_s, "whislo": r.p05_s,
              "whishi": r.p95_s, "fliers": []} for r in rows.itertuples()]
    boxes = ax.bxp(stats, positions=range(len(stats)), widths=0.6, patch_artist=True,
                   showfliers=False, medianprops={"color": "0.1"})
    for box, straggler in zip(boxes["boxes"], rows["straggler"]):
        if hollow:
            box.set_facecolor("white")
            box.set_edgecolor("#D55E00" if straggler else FLAGGED_COLOR)
        else:
            box.set_facecolor("#D55E00" if straggler else "#9ecae1")
            box.set_edgecolor("0.3")
    positions = np.arange(len(rows))
    node_of = rows["node"].to_numpy()
    for k, node in enumerate(pd.unique(node_of)):
        span = positions[node_of == node]
        if k % 2:
            ax.axvspan(span[0] - 0.5, span[-1] + 0.5, color="0.93", zorder=0)
        node_row = nodes[nodes["node"] == node]
        if len(node_row):
            straggler = bool(node_row["straggler"].iloc[0])
            ax.hlines(float(node_row["median_s"].iloc[0]), span[0] - 0.45, span[-1] + 0.45,
                      color="#D55E00" if straggler else "0.2", linewidth=3, zorder=3)
    median = float(rows["point_median_s"].iloc[0])
    ax.axhline(median, color="0.45", linewidth=1.0)
    ax.axhline(median * float(rows["threshold"].iloc[0]), color="#D55E00", linestyle=":",
               linewidth=1.2)
    log_ticks(ax, "seconds")
    starts = {node: positions[node_of == node] for node in pd.unique(node_of)}
    if len(starts) <= 8:
        for node, span in starts.items():
            ax.text((span[0] + span[-1]) / 2, 0.99, f"node {node}", ha="center", va="top",
                    fontsize=7, color="0.4", transform=ax.get_xaxis_transform())
    step = max(1, math.ceil(len(rows) / 16))
    ax.set_xticks(positions[::step], [str(r) for r in rows["rank"].to_numpy()[::step]])
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", visible=False)


# --- fits --------------------------------------------------------------------------------


def fit_figure(fits: list[Fit]) -> Figure:
    """One column per fitted group: the observations (every repetition), the fitted law with
    its confidence band, the extrapolated value with its interval (open marker), and below
    the relative residuals; flagged observations hollow and grey, those left out of the fit
    (``Fit.left_out``) too, unjoined. All `fits` must be of one law and fitted (``ok``)."""
    law = fits[0].law
    colors = series_colors(f.group for f in fits)
    ncols = min(3, len(fits))
    nrows = math.ceil(len(fits) / ncols)
    with style():
        fig = plt.figure(figsize=(4.2 * ncols + 0.4, 4.8 * nrows), layout="constrained")
        grid = fig.add_gridspec(2 * nrows, ncols, height_ratios=[3, 1] * nrows)
        for i, fit in enumerate(fits):
            row, col = divmod(i, ncols)
            top = fig.add_subplot(grid[2 * row, col])
            bottom = fig.add_subplot(grid[2 * row + 1, col], sharex=top)
            _fit_panel(top, bottom, fit, colors[fit.group])
        fig.suptitle(f"{_LAW_TITLES[law]}: fit, {fits[0].level:.0%} confidence band, "
                     "residuals", fontsize=11)
    return fig


_LAW_TITLES = {"amdahl": "Amdahl  T(n) = T1 (f + (1−f)/n)",
               "gustafson": "Gustafson  T(n) = T1 / (1 − a + a/n)",
               "usl": "USL  X(n) = λn / (1 + σ(n−1) + κn(n−1))"}


def _fit_panel(top: plt.Axes, bottom: plt.Axes, fit: Fit, color: str) -> None:
    obs = fit.observations
    left = fit.left_out
    e = fit.extrapolation
    extrapolated = bool(e) and np.isfinite(e["value"]) and e["value"] > 0
    reach = max(float(obs["clients"].max()), e["clients"] if extrapolated else 0.0)
    grid = np.geomspace(fit.reference_clients, reach, 300)
    curve = _valid_prefix(fit.predict(grid))
    flagged = point_flags(obs).astype(bool)
    top.plot(obs["clients"][~flagged], obs["observed"][~flagged], "o", color=color,
             markersize=5, label="measured")
    hollow = {"linestyle": "none", "marker": "o", "markersize": 6, "markerfacecolor": "white",
              "markeredgecolor": FLAGGED_COLOR, "markeredgewidth": 1.4}
    if flagged.any():
        text = join_flags(*point_flags(obs)[flagged]).replace(",", ", ")
        top.plot(obs["clients"][flagged], obs["observed"][flagged], **hollow,
                 label=f"flagged ({text}), kept")
    if len(left):
        text = join_flags(*point_flags(left)).replace(",", ", ")
        top.plot(left["clients"], left["observed"], **hollow,
                 label=f"flagged ({text}),\nleft out of the fit")
    top.plot(grid, curve, "-", color="0.2", linewidth=1.3, label="fit")
    if extrapolated:
        top.plot([e["clients"]], [e["value"]], "o", mfc="white", color=color,
                 label=f"at {e['clients']:g} clients")
    top.set_yscale("log")
    bottom_y, top_y = top.get_ylim()   # limits from the data and the curve, not the band
    low, high = fit.band(grid)
    valid = np.isfinite(curve) & np.isfinite(low)
    if valid.any():   # a band reaching past the axes (or below 0) is drawn to the edge
        top.fill_between(grid[valid], np.clip(low[valid], bottom_y / 10, None),
                         np.clip(high[valid], None, top_y * 10), color=color, alpha=0.2,
                         label=f"{fit.level:.0%} band")
    if extrapolated and np.isfinite(e["low"]):
        err = [[e["value"] - max(e["low"], bottom_y / 10)], [e["high"] - e["value"]]]
        top.errorbar([e["clients"]], [e["value"]], yerr=err, fmt="none", color=color,
                     capsize=3)
    top.set_ylim(bottom_y, top_y)
    title = "\n".join(textwrap.wrap(fit.group, 40)) + "\n" + _param_text(fit)
    top.set_title(title, fontsize=9)
    top.set_ylabel("time T" if fit.quantity == "time_s" else "loop iterations/s, all clients")
    log_ticks(top, "seconds" if fit.quantity == "time_s" else "count")
    top.legend(fontsize=8, loc="best")
    top.tick_params(labelbottom=False)
    residual = obs["relative_residual"].to_numpy() * 100
    residual = np.where(np.abs(residual) < 1e-9, 0.0, residual)
    bottom.axhline(0, color="0.4", linewidth=0.8)
    bottom.plot(obs["clients"][~flagged], residual[~flagged], "o", color=color, markersize=4)
    bottom.plot(obs["clients"][flagged], residual[flagged], **{**hollow, "markersize": 5})
    span = max(1.0, float(np.max(np.abs(residual))) * 1.2)
    bottom.set_ylim(-span, span)
    bottom.set_ylabel("residual (%)")
    bottom.set_xlabel("Client ranks p")
    _log2_clients_axis(bottom, [*obs["clients"], *(left["clients"] if len(left) else []),
                                *([e["clients"]] if extrapolated else [])])


def _valid_prefix(values: np.ndarray) -> np.ndarray:
    """The curve up to where the law stops giving a positive finite value (e.g. Gustafson
    with a > 1 has a pole); NaN after."""
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        values = values.copy()
        values[int(np.argmax(bad)):] = np.nan
    return values


def _param_text(fit: Fit) -> str:
    symbols = {"t1": "T1", "f": "f", "a": "a", "lambda": "λ", "sigma": "σ", "kappa": "κ"}
    parts = []
    for name, value in fit.params.items():
        if name in ("t1", "lambda"):
            continue
        low, high = fit.ci[name]
        interval = f" [{low:.3g}, {high:.3g}]" if np.isfinite(low) else ""
        parts.append(f"{symbols[name]} = {value:.3g}{interval}")
    return ", ".join(parts)


def karp_flatt_figure(table: pd.DataFrame) -> Figure:
    """Karp-Flatt serial fraction e against client ranks per group, with bootstrap intervals
    (when there are repetitions). A rising e means overhead grows with the clients. Rows with
    ``flags`` (kept by ``include_flagged``) are hollow and grey."""
    colors = series_colors(table["group"])
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 4.0), layout="constrained")
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            _series(ax, rows["clients"], rows["e"], colors[group], point_flags(rows),
                    _left_out(rows))
        ax.axhline(0, color="0.4", linewidth=0.8)
        _log2_clients_axis(ax, table["clients"])
        for group in pd.unique(table["group"]):
            rows = _rows_of(table, group)
            _row_bars(ax, rows, "ci_low", "ci_high", colors[group])
        ax.set_xlabel("Client ranks p")
        ax.set_ylabel("serial fraction e = (1/S − 1/n) / (1 − 1/n)")
        has_ci = np.isfinite(table["ci_low"].to_numpy(float)).any()
        ax.set_title("Karp–Flatt metric per point " + (
            "(bars: 95% bootstrap interval)" if has_ci else "(one repetition: no interval)"))
        handles = [Line2D([], [], color=colors[g], marker="o", label=g)
                   for g in pd.unique(table["group"])]
        _legend_right(ax, handles + flag_handles(table))
    return fig


def latency_throughput(summary: pd.DataFrame, observations: pd.DataFrame,
                       operation: str, include_flagged: bool = False) -> Figure:
    """Latency (p50 solid, p99 dashed) of `operation` against its aggregate rate (calls/s over
    all clients), log-log, one line per group through its client counts (labelled): the
    latency-throughput curve perf_analyzer draws over concurrency. Medians over repetitions.
    Points with validity flags (``observations["flags"]``) are hollow and grey, and unless
    `include_flagged` not joined (nor pooled with valid repetitions); a p99 from fewer than 100
    samples (``few_samples``) is an open square."""
    rows = summary[summary["operation"] == operation].drop(columns=["clients"])
    rows = rows.rename(columns={"flags": "row_flags"}) if "flags" in rows else \
        rows.assign(row_flags="")
    where = observations[["point_id", "group", "clients"]].assign(
        flags=point_flags(observations) if "flags" in observations else "")
    rows = rows.merge(where, on="point_id")
    rows["left_out"] = (rows["flags"] != "") & (not include_flagged)
    cells = rows.groupby(["group", "clients", "left_out"], sort=False)
    table = cells[["ops_per_s", "p50_s", "p99_s"]].median().reset_index()
    table["flags"] = [join_flags(*g["flags"]) for _, g in cells]
    table["few"] = [any("few_samples" in split_flags(f) for f in g["row_flags"]) for _, g in cells]
    colors = series_colors(observations["group"])
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 4.4), layout="constrained")
        for group in pd.unique(observations["group"]):
            mine = table[table["group"] == group].sort_values(["left_out", "clients"])
            mine = mine[np.isfinite(mine["ops_per_s"].to_numpy(float))]
            if mine.empty:
                continue
            flags, left = mine["flags"].to_numpy(), mine["left_out"].to_numpy(bool)
            _series(ax, mine["ops_per_s"], mine["p50_s"], colors[group], flags, left)
            _series(ax, mine["ops_per_s"], mine["p99_s"], colors[group], flags, left,
                    linestyle="--", marker="s", markersize=4, linewidth=1.2,
                    open_markers=mine["few"].to_numpy(bool))
            for x, y, p in zip(mine["ops_per_s"], mine["p50_s"], mine["clients"]):
                ax.annotate(f"{p}", (x, y), xytext=(4, -10), textcoords="offset points",
                            fontsize=7, color=colors[group])
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_count(v)))
        log_ticks(ax, "seconds")
        ax.set_xlabel(f"{operation} calls/s, all clients")
        ax.set_ylabel(f"{operation} latency")
        handles = [Line2D([], [], color=colors[g], marker="o", label=g)
                   for g in pd.unique(observations["group"])]
        handles += [Line2D([], [], color="0.3", marker="o", label="p50"),
                    Line2D([], [], color="0.3", marker="s", linestyle="--", label="p99")]
        if table["few"].any():
            handles.append(Line2D([], [], color="0.3", marker="s", linestyle="none",
                                  markerfacecolor="white",
                                  label=f"p99 from < {P99_SAMPLES} samples"))
        handles += flag_handles(table)
        _legend_right(ax, handles)
        ax.set_title(f"{operation}: latency vs. throughput (labels: clients)")
    return fig


# --- comparison of two result sets ------------------------------------------------------------

VERDICT_COLORS = {"regressed": "#D55E00", "improved": "#009E73", "unchanged": "#0072B2",
                  "noisy": "#999999"}


def compare_figure(frame: pd.DataFrame) -> Figure:
    """`compare.compare`'s rows, one per (point, operation), top to bottom in its order: the
    p50's change (marker) with its 95 % bootstrap interval (bar), coloured by verdict, against
    the ±threshold band (shaded); a row whose points are flagged on either side
    (``base_flags``/``new_flags``, percentile flags aside) is hollow. The axis is the ratio
    new/base on a log scale (a halving and a doubling are equally far from 0), labelled as
    changes in percent."""
    threshold = float(frame.attrs.get("threshold", 0.05))
    rows = frame.reset_index(drop=True)
    labels = [f"{point} · {op}" for point, op in zip(rows["point"], rows["operation"])]
    flags = np.array([join_flags(without_flags(a, *PERCENTILE_FLAGS),
                                 without_flags(b, *PERCENTILE_FLAGS))
                      for a, b in zip(rows.get("base_flags", [""] * len(rows)),
                                      rows.get("new_flags", [""] * len(rows)))], dtype=object)
    y = np.arange(len(rows))[::-1]
    ratio = {c: 1 + rows[c].to_numpy(float) for c in ("p50_change", "p50_change_low",
                                                      "p50_change_high")}
    with style():
        fig, ax = plt.subplots(figsize=(9.0, 1.4 + 0.26 * max(len(rows), 3)),
                               layout="constrained")
        ax.axvspan(1 - threshold, 1 + threshold, color="0.9", zorder=0)
        ax.axvline(1, color="0.4", linewidth=0.8)
        for i, (yi, verdict, flagged) in enumerate(zip(y, rows["verdict"], flags)):
            color = VERDICT_COLORS.get(verdict, "0.3")
            low, high = ratio["p50_change_low"][i], ratio["p50_change_high"][i]
            if np.isfinite(low) and np.isfinite(high) and low > 0:
                ax.plot([low, high], [yi, yi], color=color, linewidth=1.6)
                ax.plot([low, high], [yi, yi], linestyle="none", marker="|", markersize=7,
                        color=color)
            if np.isfinite(ratio["p50_change"][i]) and ratio["p50_change"][i] > 0:
                ax.plot([ratio["p50_change"][i]], [yi], marker="o", markersize=6, color=color,
                        markerfacecolor="white" if flagged else color, markeredgewidth=1.4)
        ax.set_xscale("log")
        values = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in ratio.values()]
                                + [np.array([1 - threshold, 1 + threshold])])
        low, high = float(values.min()) / 1.1, float(values.max()) * 1.1
        ax.set_xlim(low, high)
        candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 1, 1.25, 2, 5, 10, 20, 50, 100]
        ticks = sorted({t for t in candidates if low <= t <= high})
        ax.set_xticks(ticks, [f"{(t - 1) * 100:+.3g}%" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("p50 change, new vs. base (log of new/base; bars: 95% bootstrap interval)")
        present = [v for v in VERDICTS_ORDER if v in set(rows["verdict"])]
        handles = [Line2D([], [], color=VERDICT_COLORS[v], marker="o", label=v)
                   for v in present]
        handles.append(Patch(facecolor="0.9", label=f"±{threshold * 100:g}% threshold"))
        flagged_text = join_flags(*flags)
        if flagged_text:
            handles.append(Line2D([], [], linestyle="none", marker="o", color="0.3",
                                  markerfacecolor="white",
                                  label=f"hollow: flagged point\n"
                                        f"({flagged_text.replace(',', ', ')})"))
        _legend_right(ax, handles)
        counts = rows["verdict"].value_counts()
        ax.set_title("compare: " + (", ".join(f"{counts[v]} {v}" for v in present)
                                    or "no operation in common"), fontsize=11)
    return fig


VERDICTS_ORDER = ("regressed", "improved", "unchanged", "noisy")
