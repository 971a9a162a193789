"""A single self-contained HTML report of an analysis: one line per validity problem first,
then figures embedded as PNG data URIs, tables (with each row's validity flags and 95 %
intervals across repetitions), fits, stragglers, outliers, failed points with their log tails,
and the provenance of every point. No script, no external resource: it opens anywhere,
offline."""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .fits import Fit
from .figures import format_rate, format_seconds
from .pipeline import Analysis

#: Captions of the figures, by file stem prefix.
CAPTIONS = {
    "violin_": "Distribution of the time per call against the number of clients, one series per "
               "value of {by}, SmartSim-Scaling style (log scale; thick tick: mean, joined by "
               "the dotted line; dot: median; triangle: p99, open when from fewer than 100 "
               "samples; whiskers: min and max; hollow grey violins: flagged points).",
    "scaling_time": "Time of the slowest client (median over repetitions; bars: 95% interval "
                    "over repetitions) against client ranks, log-log, with the ideal (dashed) of "
                    "each group; flagged points hollow and grey.",
    "scaling_throughput": "Aggregate throughput against client ranks, log-log: loop iterations "
                          "per second and calls per second of each operation, with the linear "
                          "ideal (dashed) and 95% intervals over repetitions (bars).",
    "efficiency": "Speed-up and parallel efficiency against each group's smallest point, with "
                  "95% intervals over repetitions (bars).",
    "breakdown": "Mean time of one iteration split by operation (store, hatched raw-MPI "
                 "baseline, database queue/compute when present); 'other' is the loop time not "
                 "spent in the timed calls.",
    "ranks_": "Per-rank distributions (box p25–p75, whiskers p05–p95) grouped by node, with "
              "node medians; stragglers (median above the threshold) in red.",
    "fit_": "Fitted scaling law with its confidence band, the extrapolated value (open marker) "
            "and the relative residuals.",
    "latency_": "Latency (p50 solid, p99 dashed) against aggregate calls per second, one line "
                "per group through its client counts (perf_analyzer's latency-throughput curve).",
    "karp_flatt": "Karp–Flatt experimentally determined serial fraction per point.",
    "compare": "Change of each operation's p50 against the base set, with its 95% bootstrap "
               "interval, coloured by verdict.",
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1400px;padding:1.2em 2em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:1.8em}h3{margin-bottom:.3em}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
tr:nth-child(even) td{background:#fafafa}
.figs{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
figure{margin:0 0 1em}figure img{width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#444;margin-top:.3em}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.8em;white-space:pre-wrap}
.meta td{text-align:left}.bad{color:#b00}.ok{color:#070}.note{color:#555;font-size:.88em}
.problems{border-left:4px solid #b00;background:#fff4f2;padding:.4em 1em;margin:.8em 0}
.problems p{margin:.25em 0}.problems.ok{border-color:#070;background:#f2fbf2}
nav a{margin-right:1em}.scroll{overflow-x:auto;max-width:100%}details{margin:.3em 0}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}"
    return str(value)


def table(frame: pd.DataFrame, left: Iterable[str] = (), formats: dict | None = None) -> str:
    """An HTML table of `frame`; columns in `left` are left-aligned, `formats` maps a column to
    a function giving its cell text."""
    formats = formats or {}
    left = set(left)
    head = "".join(f'<th class="{"l" if c in left else ""}">{_e(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record):
            text = formats[column](value) if column in formats else _num(value)
            cells.append(f'<td class="{"l" if column in left else ""}">{_e(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _figure(stem: str, png: Path, by: str | None) -> str:
    raw = png.read_bytes()
    # PNG header: the width is big-endian at bytes 16-20. Figures are saved at 200 dpi; shown
    # at width / 2.3 two single-panel figures sit side by side, text stays readable.
    width = int(int.from_bytes(raw[16:20], "big") / 2.3)
    data = base64.b64encode(raw).decode("ascii")
    caption = next((text for prefix, text in CAPTIONS.items() if stem.startswith(prefix)), "")
    caption = caption.format(by=by or "the series parameter")
    return (f'<figure id="fig-{_e(stem)}" style="width:min(100%,{width}px)">'
            f'<img alt="{_e(stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{_e(stem)}</b>: {_e(caption)} PDF: figures/{_e(stem)}.pdf"
            "</figcaption></figure>")


def _summary_table(analysis: Analysis) -> str:
    frame = analysis.summary[["point_id", "varied", "operation", "n", "mean_s", "p50_s", "p90_s",
                              "p99_s", "max_s", "failed", "ops_per_s", "bytes_per_s", "flags"]]
    return table(frame, left=("point_id", "varied", "operation", "flags"), formats={
        **{c: format_seconds for c in ("mean_s", "p50_s", "p90_s", "p99_s", "max_s")},
        "ops_per_s": lambda v: format_rate(v, "op/s"),
        "bytes_per_s": lambda v: format_rate(v, "B/s"), "flags": _flags_text})


def _flags_text(value: Any) -> str:
    return str(value).replace(",", ", ") if isinstance(value, str) else ""


def _interval(low: Any, high: Any, unit: Any) -> str:
    if not (isinstance(low, (float, int)) and math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"[{unit(low)}, {unit(high)}]"


def _seconds(value: float) -> str:
    return format_seconds(value) if value > 0 else f"{value * 1e6:.3g} µs"


def _intervals_section(analysis: Analysis) -> str:
    frame = analysis.intervals
    frame = frame[frame["repetitions"] > 1]
    if frame.empty:
        return ("<p>No point has two repetitions or more: no interval (add "
                "<code>repetitions:</code> to the study).</p>")
    rate = lambda v: format_rate(v, "op/s") or f"{v:.3g} op/s"   # noqa: E731
    out = pd.DataFrame({
        "point": frame["point"], "operation": frame["operation"],
        "repetitions": frame["repetitions"], "p50 (mean)": frame["p50_s"].map(format_seconds),
        "p50 95% CI": [_interval(a, b, _seconds) for a, b in
                       zip(frame["p50_low_s"], frame["p50_high_s"])],
        "mean": frame["mean_s"].map(format_seconds),
        "mean 95% CI": [_interval(a, b, _seconds) for a, b in
                        zip(frame["mean_low_s"], frame["mean_high_s"])],
        "ops/s": frame["ops_per_s"].map(lambda v: format_rate(v, "op/s")),
        "ops/s 95% CI": [_interval(a, b, rate) for a, b in
                         zip(frame["ops_per_s_low"], frame["ops_per_s_high"])],
        "flags": frame["flags"].map(_flags_text)})
    return ('<p class="note">Across repetitions: the mean of the per-repetition values and its '
            "Student-t 95% interval (wide with few repetitions: with two, t = 12.7).</p>"
            + table(out, left=("point", "operation", "flags"), formats={
                c: str for c in out.columns if c not in ("repetitions",)}))


def _problems(analysis: Analysis) -> str:
    if not analysis.problems:
        return ('<div class="problems ok"><p>No validity flag: no point is oversubscribed, '
                "unstable or slower than its baseline, and every percentile has the samples it "
                "needs.</p></div>")
    return ('<div class="problems">' + "".join(f'<p class="bad">{_e(line)}</p>'
                                               for line in analysis.problems) + "</div>")


def _fits_section(fits: list[Fit]) -> str:
    if not fits:
        return "<p>No fit (no scaling mode).</p>"
    rows = []
    for fit in fits:
        if not fit.ok:
            rows.append({"law": fit.law, "group": fit.group, "estimates [95% CI]": "",
                         "dof": "", "extrapolated": "", "notes": "refused: " + fit.reason})
            continue
        estimates = "; ".join(
            f"{name} = {value:.4g}" + ("" if math.isnan(fit.ci[name][0]) else
                                       f" [{fit.ci[name][0]:.4g}, {fit.ci[name][1]:.4g}]")
            for name, value in fit.params.items())
        e = fit.extrapolation
        extrapolated = ""
        if e and math.isfinite(e.get("value", math.nan)):
            value = format_seconds(e["value"]) if fit.quantity == "time_s" else \
                f"{e['value']:.4g} it/s"
            interval = "" if math.isnan(e["low"]) else (
                f" [{format_seconds(e['low'])}, {format_seconds(e['high'])}]"
                if fit.quantity == "time_s" else f" [{e['low']:.4g}, {e['high']:.4g}]")
            extrapolated = (f"{value}{interval} at {e['clients']:g} clients "
                            f"(speed-up {e['speedup']:.3g})")
        rows.append({"law": fit.law, "group": fit.group, "estimates [95% CI]": estimates,
                     "dof": fit.dof, "extrapolated": extrapolated, "notes": "; ".join(fit.notes)})
    frame = pd.DataFrame(rows)
    return table(frame, left=frame.columns)


def _failed_section(failed: pd.DataFrame) -> str:
    if failed.empty:
        return '<p class="ok">Every point completed.</p>'
    parts = []
    for row in failed.itertuples(index=False):
        parts.append(f'<h3 class="bad">{_e(row.id)} ({_e(row.varied)}): {_e(row.status)}</h3>'
                     f"<p>exit status {_e(row.exit_status)}; {_e(row.reason)}</p>"
                     f"<pre>{_e(row.log_tail)}</pre>")
    return "".join(parts)


PROVENANCE_COLUMNS = ["point_id", "git_sha", "git_dirty", "scalestudy_version", "compiler",
                      "build_type", "mpi_library", "hdf5_version", "start_time", "end_time",
                      "job_id", "world_size", "n_clients", "n_database_ranks", "n_nodes",
                      "virtual_nodes"]


def _provenance_section(analysis: Analysis) -> str:
    prov = analysis.study.provenance
    if prov.empty:
        return "<p>No completed point.</p>"
    columns = [c for c in PROVENANCE_COLUMNS if c in prov.columns]
    extra = [c for c in prov.columns if c not in columns
             and c not in ("command_line", "parameters_yaml")]
    parts = [table(prov[columns + extra], left=columns + extra)]
    for row in prov.itertuples(index=False):
        record = row._asdict()
        parts.append(f"<details><summary>{_e(record['point_id'])}: command line and "
                     f"parameters</summary><pre>{_e(record.get('command_line', ''))}\n\n"
                     f"{_e(record.get('parameters_yaml', ''))}</pre></details>")
    return "".join(parts)


def _scaling_section(analysis: Analysis) -> str:
    if analysis.mode not in ("strong", "weak"):
        return "<p>No scaling table (scaling: none).</p>"
    seconds = {c: _seconds for c in ("time_s", "time_min_s", "time_max_s", "time_low_s",
                                     "time_high_s")}
    parts = []
    if len(analysis.scaling):
        parts.append(table(analysis.scaling.drop(columns=["varied"]),
                           left=("group", "point_id", "flags"),
                           formats={**seconds, "flags": _flags_text}))
    else:
        parts.append('<p class="bad">Every point is flagged: no scaling table.</p>')
    if analysis.options.include_flagged:
        parts.insert(0, '<p class="note">Flagged points are kept (--include-flagged): their '
                        "rows carry their flags.</p>")
    elif len(analysis.left_out):
        left = analysis.left_out[["group", "point_id", "clients", "time_s", "repetitions",
                                  "flags"]]
        parts.insert(0, f'<p class="note">{len(left)} flagged client count(s) are left out of '
                        "this table, the efficiencies and the fits (--include-flagged keeps "
                        "them):</p>" + table(left, left=("group", "point_id", "flags"),
                                             formats={"time_s": _seconds,
                                                      "flags": _flags_text}))
    return "".join(parts)


def render(analysis: Analysis) -> str:
    """The report as one HTML string (figures must have been written: analysis.figures)."""
    study, options = analysis.study, analysis.options
    attrs = study.attrs
    done = len(study.completed)
    policy = (f"{options.outlier_method.upper()}, threshold "
              f"{analysis.samples.attrs.get('outlier_policy', {}).get('threshold')}")
    meta = {
        "study": study.name, "description": attrs.get("description", ""),
        "directory": str(study.path), "study file": attrs.get("study_file", ""),
        "scaling": analysis.mode, "points": f"{len(study.points)} ({done} completed, "
                                            f"{len(analysis.failed)} not completed)",
        "scalestudy version / git": f"{attrs.get('scalestudy_version', '')} "
                                    f"{attrs.get('git_sha', '')}",
        "index updated": attrs.get("updated", ""),
        "samples": f"warm-up {'included' if options.include_warmup else 'excluded'}, failed "
                   f"{'included' if options.include_failed else 'excluded'}, outliers "
                   f"({policy}) {'excluded' if options.exclude_outliers else 'flagged, kept'}",
        "flagged points": ("kept in scaling tables, efficiencies and fits (--include-flagged)"
                           if options.include_flagged else "left out of scaling tables, "
                           "efficiencies and fits (--include-flagged keeps them)"),
        "stragglers": f"rank or node median > {options.straggler_ratio:g} x the point median",
        "violins: series / panels": f"{analysis.by or '-'} / {', '.join(analysis.facet) or '-'}",
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    meta_rows = "".join(f'<tr><th class="l">{_e(k)}</th><td>{_e(v)}</td></tr>'
                        for k, v in meta.items())
    figures = "".join(_figure(stem, paths[0], analysis.by)
                      for stem, paths in analysis.figures.items())
    stragglers = pd.concat([analysis.rank_stragglers.assign(level="rank"),
                            analysis.node_stragglers.assign(level="node")])
    stragglers = stragglers[stragglers["straggler"]]
    straggler_html = ('<p class="ok">No rank or node beyond the threshold.</p>' if
                      stragglers.empty else table(
                          stragglers[["point_id", "operation", "level", "rank", "node",
                                      "hostname", "median_s", "point_median_s", "ratio"]],
                          left=("point_id", "operation", "level", "hostname"),
                          formats={"median_s": format_seconds,
                                   "point_median_s": format_seconds}))
    outliers = analysis.outlier_counts
    outliers = outliers[outliers["flagged"] > 0]
    scaling = _scaling_section(analysis)
    karp = (table(analysis.karp_flatt, left=("group", "note"))
            if len(analysis.karp_flatt) else "<p>None.</p>")
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in analysis.notes)
    study_yaml = attrs.get("study_yaml", "")
    sections = [
        ("figures", "Figures", f'<div class="figs">{figures}</div>' if figures
         else "<p>No figure.</p>"),
        ("summary", "Statistics per point and operation", _summary_table(analysis)),
        ("intervals", "95% intervals across repetitions", _intervals_section(analysis)),
        ("scaling", "Scaling", scaling),
        ("fits", "Scaling-law fits", _fits_section(analysis.fits)
         + "<h3>Karp–Flatt serial fraction</h3>" + karp),
        ("stragglers", "Stragglers", straggler_html),
        ("outliers", "Outliers (flagged, not deleted)",
         table(outliers, left=("point_id", "operation")) if len(outliers)
         else "<p>No sample flagged.</p>"),
        ("failed", "Points that did not complete", _failed_section(analysis.failed)),
        ("provenance", "Provenance of every point", _provenance_section(analysis)),
    ]
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<h2 id="{key}">{_e(title)}</h2>{content}' for key, title, content in
                   sections)
    yaml_block = (f"<details><summary>study file as written</summary><pre>{_e(study_yaml)}"
                  "</pre></details>" if study_yaml else "")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>scalestudy: {_e(study.name)}</title><style>{CSS}</style></head><body>"
            f"<h1>scalestudy study <code>{_e(study.name)}</code></h1>{_problems(analysis)}"
            f'<table class="meta">{meta_rows}</table>{yaml_block}{notes}<nav>{nav}</nav>'
            f"{body}</body></html>\n")


def write_report(analysis: Analysis, path: str | Path) -> Path:
    """Writes `render(analysis)` to `path` (UTF-8) and returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(analysis), encoding="utf-8")
    return path
