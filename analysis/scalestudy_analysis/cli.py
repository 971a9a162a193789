"""Command line: ``python3 -m scalestudy_analysis plots|fit|summary|html|all STUDY_DIR``.

- ``plots``   every figure (PNG + PDF) into STUDY_DIR/figures/
- ``fit``     the scaling-law fits: printed, figures/fits.csv, figures/karp_flatt.csv, fit figures
- ``summary`` the statistics table (as `scalestudy report`), printed; every table as CSV in
              figures/ (summary, scaling, fits, karp_flatt, stragglers, outliers, failed points)
- ``html``    figures, tables and one self-contained STUDY_DIR/report.html
- ``all``     the same as html, listing everything written (what scripts/analyze runs)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from . import fits, outliers, stats  # noqa: E402
from .figures import format_rate  # noqa: E402
from .html_report import write_report  # noqa: E402
from .load import load_study  # noqa: E402
from .pipeline import Analysis, Options, analyze, write_figures, write_tables  # noqa: E402


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
                        help="confidence level of the fits' intervals (default %(default)s)")
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
    return parser


def _options(args: argparse.Namespace) -> Options:
    return Options(by=args.by, facet=args.facet, include_warmup=args.include_warmup,
                   include_failed=args.include_failed, exclude_outliers=args.exclude_outliers,
                   outlier_method=args.outlier_method, outlier_threshold=args.outlier_threshold,
                   straggler_ratio=args.straggler_ratio, time_op=args.time_op, mode=args.mode,
                   at_nodes=args.at_nodes, level=args.level)


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) \
        else value


def summary_json(analysis: Analysis) -> str:
    """The statistics in `scalestudy report --format json`'s layout (seconds; NaN as null)."""
    def value(v):
        return [_json_number(x) for x in v] if isinstance(v, list) else _json_number(v)

    def records(frame, columns):
        return [{c: value(r[c]) for c in columns} for r in frame.to_dict("records")]
    failed = analysis.failed.rename(columns={"id": "point_id"})
    return json.dumps({
        "title": f"study {analysis.study.name}",
        "scaling_mode": analysis.mode,
        "operations": records(analysis.summary, stats.SUMMARY_COLUMNS),
        "scaling": records(analysis.scaling, ["group", "point_id", "varied", "clients",
                                              "time_s", "speedup", "efficiency", "repetitions",
                                              "speedup_ci", "efficiency_ci"])
        if len(analysis.scaling) else [],
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
    left = {c: max(len(c), int(table[c].str.len().max() or 0)) for c in ("point", "operation")}
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


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the exit status (2 for a study that cannot be read)."""
    args = _parser().parse_args(argv)
    try:
        study = load_study(args.study)
        analysis = analyze(study, _options(args))
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"scalestudy_analysis: error: {error}", file=sys.stderr)
        return 2
    out = args.out or study.path / "figures"
    for note in analysis.notes:
        print(f"note: {note}", file=sys.stderr)
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
        written = write_figures(analysis, out, kinds=("fits",))
        write_tables(analysis, out)
        kept = [str(paths[0]) for paths in written.values()]
        print(f"\nfits: {out / 'fits.csv'}; figures: {', '.join(kept) or 'none'}")
        return 0
    written = write_figures(analysis, out)
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
