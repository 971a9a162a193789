"""Command line: ``python3 -m scalestudy_analysis plots|fit|summary|html|all STUDY_DIR`` and
``python3 -m scalestudy_analysis compare BASE_DIR NEW_DIR``.

- ``plots``   every figure (PNG + PDF) into STUDY_DIR/figures/
- ``fit``     the scaling-law fits: printed, figures/fits.csv, figures/karp_flatt.csv, fit figures
- ``summary`` the statistics table (as `scalestudy report`), printed; every table as CSV in
              figures/ (summary, intervals, scaling, fits, karp_flatt, stragglers, outliers,
              failed points)
- ``html``    figures, tables and one self-contained STUDY_DIR/report.html
- ``all``     the same as html, listing everything written (what scripts/analyze runs)
- ``compare`` two result sets point by point (as `scalestudy compare`): the table, CSV or JSON,
              and the figure compare.png/.pdf; exit status 1 when an operation regressed or
              improved beyond the threshold

Progress (what is read, each figure written) goes to stderr as it happens; so do the validity
problems when stdout is CSV or JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import compare as comparison  # noqa: E402
from . import figures, fits, outliers, stats  # noqa: E402
from .figures import format_rate  # noqa: E402
from .html_report import write_report  # noqa: E402
from .load import load_study  # noqa: E402
from .pipeline import Analysis, Options, analyze, write_figures, write_tables  # noqa: E402


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("study", type=Path, help="study results directory (with index.h5) "
                        "or one point.h5")
    common.add_argument("--out", type=Path, help="figures and tables directory "
                        "(default STUDY_DIR/figures)")
    common.add_argument("--by", help="parameter whose values are the series of the violins and "
                        "the panels of the breakdown (default: the first swept configuration "
                        "key with several values, e.g. tensor_bytes)")
    common.add_argument("--facet", type=lambda text: [k for k in text.split(",") if k],
                        help="comma-separated parameters whose values are the violins' panels "
                        "(default: the other swept configuration keys; '' for one panel)")
    common.add_argument("--include-warmup", action="store_true", help="keep warm-up samples")
    common.add_argument("--include-failed", action="store_true", help="keep failed samples")
    common.add_argument("--exclude-outliers", action="store_true",
                        help="leave flagged outliers out of statistics and figures "
                        "(they are flagged, never deleted, and kept by default)")
    common.add_argument("--outlier-method", choices=sorted(outliers.DEFAULT_THRESHOLDS),
                        default=outliers.DEFAULT_METHOD,
                        help="mad: modified z-score |0.6745 (x - median) / MAD| > threshold "
                        "(default 3.5); iqr: outside Tukey's fences Q1 - k IQR, Q3 + k IQR "
                        "(default k = 1.5)")
    common.add_argument("--outlier-threshold", type=float,
                        help="threshold of the outlier method (see --outlier-method)")
    common.add_argument("--straggler-ratio", type=float, default=stats.DEFAULT_STRAGGLER_RATIO,
                        help="a rank (node) whose median exceeds this many times the point's "
                        "median is a straggler (default %(default)s)")
    common.add_argument("--time-op", help="operation whose slowest client gives a point's "
                        "time for scaling (default loop_time, else raw_loop_time)")
    common.add_argument("--mode", choices=("strong", "weak"),
                        help="scaling mode (default: the study's)")
    common.add_argument("--at-nodes", type=float, help="node count to extrapolate the fits to "
                        "(default twice the largest client_nodes)")
    common.add_argument("--level", type=float, default=fits.DEFAULT_LEVEL,
                        help="confidence level of the intervals (default %(default)s)")
    common.add_argument("--include-flagged", action="store_true",
                        help="keep points with validity flags (oversubscribed, unstable, "
                        "baseline_slower) in scaling tables, efficiencies and fits; they are "
                        "left out by default, and drawn hollow in the figures either way")
    parser = argparse.ArgumentParser(
        prog="python3 -m scalestudy_analysis",
        description="Figures, scaling fits, tables and an HTML report from scalestudy results.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plots", parents=[common], help="write every figure (PNG and PDF)")
    commands.add_parser("fit", parents=[common], help="fit Amdahl, Gustafson, USL, Karp-Flatt")
    summary = commands.add_parser("summary", parents=[common],
                                  help="print the statistics; write every table as CSV")
    summary.add_argument("--format", choices=("table", "csv", "json"), default="table")
    for name in ("html", "all"):
        html = commands.add_parser(name, parents=[common], help=(
            "figures, tables and STUDY_DIR/report.html" if name == "html"
            else "plots + fit + summary tables + html, listing what was written"))
        html.add_argument("--output", type=Path, help="report path (default "
                          "STUDY_DIR/report.html)")
    compare = commands.add_parser(
        "compare", help="compare two result sets point by point (as scalestudy compare)",
        description="Matches the points of two result sets on their parameters (repetitions "
        "pooled) and tests every operation's change: p50 and mean change with 95%% bootstrap "
        "intervals, Mann-Whitney U p-value, verdict. Exit status 1 when an operation regressed "
        "or improved beyond the threshold, 0 otherwise, 2 on an error.")
    compare.add_argument("base", type=Path, help="results/<study>/ or a point file: before")
    compare.add_argument("new", type=Path, help="results/<study>/ or a point file: after")
    compare.add_argument("--threshold", type=_percent, default=5.0,
                         help="percent change of the p50 below which nothing counts as changed "
                         "(default 5; '5%%' works too)")
    compare.add_argument("--format", choices=("table", "csv", "json"), default="table")
    compare.add_argument("--out", type=Path, help="where compare.png/.pdf go (default "
                         "NEW/figures, or the point file's directory)")
    compare.add_argument("--include-warmup", action="store_true", help="keep warm-up samples")
    compare.add_argument("--include-failed", action="store_true", help="keep failed samples")
    return parser


def _percent(text: str) -> float:
    value = float(text.strip().rstrip("%"))
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"threshold {text}: a percentage from 0 to 1000")
    return value


def _options(args: argparse.Namespace) -> Options:
    return Options(by=args.by, facet=args.facet, include_warmup=args.include_warmup,
                   include_failed=args.include_failed, exclude_outliers=args.exclude_outliers,
                   outlier_method=args.outlier_method, outlier_threshold=args.outlier_threshold,
                   straggler_ratio=args.straggler_ratio, time_op=args.time_op, mode=args.mode,
                   at_nodes=args.at_nodes, level=args.level,
                   include_flagged=args.include_flagged)


def _json_number(value: float) -> float | None:
    if isinstance(value, np.generic):
        value = value.item()
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) \
        else value


def summary_json(analysis: Analysis) -> str:
    """The statistics in `scalestudy report --format json`'s layout (seconds; NaN and infinite
    bounds as null), with besides: each row's ``flags``, the ``problems`` lines, the scaling
    cells left out (``scaling_left_out``) and the time intervals of the scaling rows."""
    def records(frame, columns):
        return [{c: _json_number(r[c]) for c in columns} for r in frame.to_dict("records")]
    def scaling(frame):
        rows = records(frame, ["group", "point_id", "varied", "clients", "time_s", "speedup",
                               "efficiency", "repetitions", "flags", "time_low_s",
                               "time_high_s"])
        for row, r in zip(rows, frame.to_dict("records")):
            for name in ("speedup", "efficiency"):
                row[f"{name}_ci"] = [_json_number(r[f"{name}_low"]),
                                     _json_number(r[f"{name}_high"])]
        return rows

    repeated = analysis.intervals[analysis.intervals["repetitions"] > 1]
    repetitions = []
    for r in repeated.to_dict("records"):
        row = {"point": r["point"], "operation": r["operation"],
               "repetitions": r["repetitions"]}
        for name, low, high in (("p50_s", "p50_low_s", "p50_high_s"),
                                ("mean_s", "mean_low_s", "mean_high_s"),
                                ("ops_per_s", "ops_per_s_low", "ops_per_s_high")):
            row[name] = _json_number(r[name])
            row[f"{name}_ci"] = [_json_number(r[low]), _json_number(r[high])]
        row["flags"] = r["flags"]
        repetitions.append(row)
    failed = analysis.failed.rename(columns={"id": "point_id"})
    return json.dumps({
        "title": f"study {analysis.study.name}",
        "scaling_mode": analysis.mode,
        "problems": analysis.problems,
        "include_flagged": analysis.options.include_flagged,
        "operations": records(analysis.summary, stats.SUMMARY_COLUMNS),
        "scaling": scaling(analysis.scaling) if len(analysis.scaling) else [],
        "scaling_left_out": scaling(analysis.left_out) if len(analysis.left_out) else [],
        "repetitions": repetitions,
        "not_completed": records(failed, ["point_id", "varied", "status", "exit_status",
                                          "reason", "log_tail"]),
    }, indent=1, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def summary_text(analysis: Analysis) -> str:
    """The statistics as `scalestudy report`'s table: times in microseconds, rates with SI
    prefixes, each point's swept values on its first row."""
    frame = analysis.summary
    table = pd.DataFrame({
        "point": [f"{p} {v}".strip() if first else "" for p, v, first in
                  zip(frame["point_id"], frame["varied"], ~frame["point_id"].duplicated())],
        "operation": frame["operation"], "n": frame["n"]})
    for column in ("mean", "std", "min", "p50", "p90", "p99", "max"):
        table[f"{column} [us]"] = (frame[f"{column}_s"] * 1e6).map("{:.2f}".format)
    table["ops/s"] = frame["ops_per_s"].map(lambda v: format_rate(v, "op/s"))
    table["bandwidth"] = frame["bytes_per_s"].map(lambda v: format_rate(v, "B/s"))
    table["flags"] = frame["flags"].fillna("")
    left = {c: max(len(c), int(table[c].str.len().max() or 0))
            for c in ("point", "operation", "flags")}
    formatters = {c: (lambda w: lambda v: f"{v:<{w}}")(w) for c, w in left.items()}
    return table.to_string(index=False, formatters=formatters, justify="left")


def _print_fits(analysis: Analysis) -> None:
    for fit in analysis.fits:
        print(fit.describe())
        for note in fit.notes:
            print(f"    {note}")
        e = fit.extrapolation
        if fit.ok and e and math.isfinite(e.get("value", math.nan)):
            unit = "s" if fit.quantity == "time_s" else "iterations/s"
            interval = "" if math.isnan(e["low"]) else f" [{e['low']:.4g}, {e['high']:.4g}]"
            print(f"    at {e['clients']:g} clients: {e['value']:.4g}{interval} {unit}, "
                  f"speed-up {e['speedup']:.3g}")
    if len(analysis.karp_flatt):
        print("\nKarp-Flatt serial fraction e per point (95% bootstrap interval):")
        print(analysis.karp_flatt.to_string(index=False))


def compare_text(frame: pd.DataFrame) -> str:
    """The comparison as `scalestudy compare`'s table: the summary line, then per point and
    operation the p50s, the p50 change with its interval, the mean change, p and verdict."""
    def change(value: float, low: float = math.nan, high: float = math.nan) -> str:
        if not math.isfinite(value):
            return ""
        text = f"{value * 100:+.1f}%"
        return text + (f" [{low * 100:+.1f}, {high * 100:+.1f}]" if math.isfinite(low) else "")

    a = frame.attrs
    lines = ["compare", f"  base: {a.get('base', '')}", f"  new:  {a.get('new', '')}", "",
             comparison.summary_line(frame), ""]
    previous = None
    table = []
    for r in frame.itertuples(index=False):
        flags = comparison.join_flags(r.base_flags, r.new_flags)
        table.append({"point": "" if r.point == previous else r.point,
                      "operation": r.operation, "base p50 [us]": f"{r.base_p50_s * 1e6:.2f}",
                      "new p50 [us]": f"{r.new_p50_s * 1e6:.2f}",
                      "p50 change [95% CI]": change(r.p50_change, r.p50_change_low,
                                                    r.p50_change_high),
                      "mean change": change(r.mean_change),
                      "p (U)": "<1e-6" if r.p_value < 1e-6 else f"{r.p_value:.2g}",
                      "verdict": r.verdict, "flags": flags.replace(",", ", ")})
        previous = r.point
    if table:
        shown = pd.DataFrame(table)
        widths = {c: max(len(c), int(shown[c].str.len().max() or 0)) for c in shown.columns}
        formatters = {c: (lambda w: lambda v: f"{v:<{w}}")(w) for c, w in widths.items()}
        lines.append(shown.to_string(index=False, formatters=formatters, justify="left"))
    for label, key in (("only in base", "only_in_base"), ("only in new", "only_in_new")):
        if a.get(key):
            lines += ["", f"points {label} (not compared):", *(f"  {p}" for p in a[key])]
    return "\n".join(lines)


def compare_json(frame: pd.DataFrame) -> str:
    """The comparison in `scalestudy compare --format json`'s layout (NaN as null), each row
    with its base_flags and new_flags besides."""
    a = frame.attrs
    rows = []
    for r in frame.to_dict("records"):
        row = {k: _json_number(r[k]) for k in ("point", "base_id", "new_id", "operation",
                                               "base_n", "new_n", "base_p50_s", "new_p50_s",
                                               "base_mean_s", "new_mean_s", "p50_change")}
        row["p50_change_ci"] = [_json_number(r["p50_change_low"]),
                                _json_number(r["p50_change_high"])]
        row["mean_change"] = _json_number(r["mean_change"])
        row["mean_change_ci"] = [_json_number(r["mean_change_low"]),
                                 _json_number(r["mean_change_high"])]
        row.update(p_value=_json_number(r["p_value"]), verdict=r["verdict"],
                   base_flags=r["base_flags"], new_flags=r["new_flags"])
        rows.append(row)
    return json.dumps({"base": a.get("base"), "new": a.get("new"),
                       "threshold": a.get("threshold"), "alpha": a.get("alpha"),
                       "matched": a.get("matched"), "changed": a.get("changed"),
                       "only_in_base": a.get("only_in_base"), "only_in_new": a.get("only_in_new"),
                       "rows": rows}, indent=1,
                      default=lambda v: v.item() if hasattr(v, "item") else str(v))


def _compare(args: argparse.Namespace) -> int:
    _progress(f"comparing {args.base} (base) with {args.new} (new)")
    frame = comparison.compare(args.base, args.new, args.threshold / 100,
                               include_warmup=args.include_warmup,
                               include_failed=args.include_failed)
    if args.format == "json":
        print(compare_json(frame))
    elif args.format == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        print(compare_text(frame))
    if len(frame):
        out = args.out or (args.new / "figures" if args.new.is_dir() else args.new.parent)
        fig = figures.compare_figure(frame)
        paths = figures.save(fig, out, "compare")
        matplotlib.pyplot.close(fig)
        _progress(f"wrote {paths[0]} (+ .pdf)")
    return 1 if frame.attrs.get("changed") else 0


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the exit status (2 for a study that cannot be read; for
    ``compare``, 1 when an operation regressed or improved)."""
    args = _parser().parse_args(argv)
    if args.command == "compare":
        try:
            return _compare(args)
        except (FileNotFoundError, ValueError, OSError) as error:
            print(f"scalestudy_analysis: error: {error}", file=sys.stderr)
            return 2
    try:
        study = load_study(args.study, progress=_progress)
        analysis = analyze(study, _options(args))
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"scalestudy_analysis: error: {error}", file=sys.stderr)
        return 2
    out = args.out or study.path / "figures"
    for note in analysis.notes:
        print(f"note: {note}", file=sys.stderr)
    machine = args.command == "summary" and args.format in ("json", "csv")
    for line in analysis.problems:
        print(f"flagged: {line}", file=sys.stderr if machine else sys.stdout, flush=True)
    if args.command == "summary":
        write_tables(analysis, out)
        if args.format == "json":
            print(summary_json(analysis))
        elif args.format == "csv":
            print(analysis.summary.to_csv(index=False), end="")
        else:
            print(summary_text(analysis))
        print(f"tables: {out}/*.csv", file=sys.stderr)
        return 0
    if args.command == "fit":
        _print_fits(analysis)
        written = write_figures(analysis, out, kinds=("fits",), progress=_progress)
        write_tables(analysis, out)
        kept = [str(paths[0]) for paths in written.values()]
        print(f"\nfits: {out / 'fits.csv'}; figures: {', '.join(kept) or 'none'}")
        return 0
    written = write_figures(analysis, out, progress=_progress)
    if args.command == "plots":
        for stem, paths in written.items():
            print(f"{paths[0]}  (+ .pdf)")
        return 0
    tables = write_tables(analysis, out)
    report = write_report(analysis, args.output or study.path / "report.html")
    if args.command == "all":
        _print_fits(analysis)
        print(f"\nfigures ({len(written)}, PNG and PDF): {out}/")
        for stem in written:
            print(f"  {stem}")
        print(f"tables (CSV): {', '.join(p.name for p in tables)} in {out}/")
    print(f"report: {report}")
    return 0
