"""`scripts/analyze` and the CLI on the real study: figures written and not blank, tables,
the summary equal to `scalestudy report`, report.html rendered by headless Chromium with every
figure and no console error, the notebooks executed headless, and `compare` agreeing with
`scalestudy compare`."""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import chromium  # noqa: E402
from conftest import (ANALYSIS_DIR, PYTHON, SOURCE_DIR, environment,  # noqa: E402
                      report_include_flagged, report_json, scalestudy)
from scalestudy_analysis import compare, figures, load_study, pipeline  # noqa: E402

OPERATIONS = ("put_tensor", "unpack_tensor", "raw_put_tensor", "raw_unpack_tensor")
EXPECTED_FIGURES = {*(f"violin_{op}" for op in OPERATIONS), *(f"ranks_{op}" for op in OPERATIONS),
                    "scaling_time", "scaling_throughput", "efficiency", "latency_put_tensor",
                    "breakdown", "fit_amdahl", "fit_usl", "karp_flatt"}


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "scalestudy_analysis", *map(str, args)],
                          capture_output=True, text=True, env=environment(MPLBACKEND="Agg"),
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def analyzed_run(study_dir):
    """`scripts/analyze STUDY_DIR --at-nodes 6 --include-flagged`: figures, tables and
    report.html of every point, whatever this machine's cores flagged (the default, which
    leaves flagged points out, is tested on explicit flags: test_flags.py and below)."""
    done = subprocess.run([str(SOURCE_DIR / "scripts" / "analyze"), str(study_dir),
                           "--at-nodes", "6", "--include-flagged"], capture_output=True,
                          text=True, timeout=600, env=environment(), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def analyzed(analyzed_run):
    return analyzed_run.stdout


def assert_not_blank_png(path: Path, min_bytes: int = 20_000) -> None:
    raw = path.read_bytes()
    assert raw.startswith(b"\x89PNG\r\n\x1a\n"), path
    assert len(raw) > min_bytes, (path, len(raw))
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert width >= 600 and height >= 300, (path, image.shape)
    rgb = image[..., :3]
    inked = (rgb.min(axis=2) < 0.9).mean()
    assert inked > 0.02 and rgb.std() > 0.03, (path, inked)


def test_scripts_analyze_writes_every_figure_as_png_and_pdf(analyzed, study_dir):
    out = study_dir / "figures"
    assert f"report: {study_dir / 'report.html'}" in analyzed
    assert f"figures ({len(EXPECTED_FIGURES)}, PNG and PDF): {out}/" in analyzed
    stems = {p.stem for p in out.glob("*.png")}
    assert stems == EXPECTED_FIGURES
    for stem in EXPECTED_FIGURES:
        assert_not_blank_png(out / f"{stem}.png")
        pdf = (out / f"{stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5000


def test_scripts_analyze_prints_progress_as_it_goes(analyzed_run, study_dir):
    lines = analyzed_run.stderr.splitlines()
    study = load_study(study_dir)
    files = [str(study_dir / f) for f in study.completed["file"]]
    assert lines[0] == f"reading {study_dir}: 12 points, 10 completed"
    assert lines[1:11] == [f"reading {f} ({i + 1}/10)" for i, f in enumerate(files)]
    wrote = [line for line in lines if line.startswith("wrote ")]
    out = study_dir / "figures"
    assert sorted(wrote) == sorted(f"wrote {out / stem}.png (+ .pdf)" for stem in EXPECTED_FIGURES)
    assert lines.index(wrote[0]) > 10   # after the reading, one line per figure as written


def test_tables_record_fits_refusals_and_failed_points(analyzed, study_dir):
    out = study_dir / "figures"
    fits = pd.read_csv(out / "fits.csv")
    usl = fits[(fits["law"] == "usl") & (fits["group"] == "tensor_bytes=16KiB")]
    assert not usl["ok"].iloc[0]
    assert "needs at least 3 distinct client counts; this group has 2 (1, 2)" in \
        usl["reason"].iloc[0]
    amdahl = fits[(fits["law"] == "amdahl") & (fits["parameter"] == "f")]
    assert len(amdahl) == 2 and (amdahl["ci_low"] < amdahl["estimate"]).all()
    assert (amdahl["at_clients"] == 6).all()   # --at-nodes 6 x 1 rank per node
    failed = pd.read_csv(out / "failed_points.csv")
    assert len(failed) == 2 and failed["log_tail"].str.contains("out of memory").all()
    for name in ("summary", "scaling", "karp_flatt", "stragglers_rank", "stragglers_node",
                 "outliers"):
        assert len(pd.read_csv(out / f"{name}.csv")) > 0, name


def test_summary_json_equals_scalestudy_report(study_dir):
    done = cli("summary", study_dir, "--format", "json", "--include-flagged")
    assert done.returncode == 0, done.stderr
    ours, theirs = json.loads(done.stdout), report_json(study_dir, *report_include_flagged())
    assert ours["scaling_mode"] == theirs["scaling_mode"] == "strong"
    sections = ["operations", "scaling"] + (["repetitions"] if "repetitions" in theirs else [])
    for key in sections:
        assert len(ours[key]) == len(theirs[key])
        for mine, ref in zip(ours[key], theirs[key]):
            assert mine.keys() >= ref.keys()
            for field, value in ref.items():
                if isinstance(value, list):   # an interval
                    for a, b in zip(mine[field], value):
                        assert (a is None and b is None) or math.isclose(
                            a, b, rel_tol=1e-12, abs_tol=1e-300), (key, field, mine[field], value)
                elif isinstance(value, float) and value != 0:
                    assert math.isclose(mine[field], value, rel_tol=1e-12), (key, field)
                else:
                    assert mine[field] == value, (key, field)
    assert [(p["point_id"], p["status"], p["reason"]) for p in ours["not_completed"]] == \
        [(p["point_id"], p["status"], p["reason"]) for p in theirs["not_completed"]]


def test_cli_refuses_a_missing_study_and_a_bad_parameter(tmp_path, study_dir):
    done = cli("plots", tmp_path / "nope")
    assert done.returncode == 2 and "no such study directory" in done.stderr
    done = cli("summary", study_dir, "--by", "no_such_parameter")
    assert done.returncode == 2 and "unknown parameter 'no_such_parameter'" in done.stderr


def test_plots_by_another_parameter_and_one_point_file(study_dir, tmp_path):
    done = cli("plots", study_dir, "--by", "repetition", "--facet", "tensor_bytes,verify",
               "--exclude-outliers", "--out", tmp_path / "by_repetition")
    assert done.returncode == 0, done.stderr
    assert_not_blank_png(tmp_path / "by_repetition" / "violin_put_tensor.png")
    point = next(study_dir.glob("points/*/point.h5"))
    done = cli("summary", point, "--out", tmp_path / "one")
    assert done.returncode == 0, done.stderr
    assert "scaling: none" in done.stderr and "put_tensor" in done.stdout


def test_violins_take_any_number_of_series_and_panels():
    rng = np.random.default_rng(0)
    rows = []
    for batch in (1, 2, 4, 8, 16):
        for device in ("cpu", "gpu"):
            for clients in (1, 2, 4):
                for i, x in enumerate(rng.lognormal(np.log(1e-4 * batch), 0.3, 40)):
                    rows.append({"operation": "run_model", "clients": clients, "seconds": x,
                                 "batch_size": batch, "device": device, "warmup": i == 0,
                                 "failed": False})
    fig = figures.violin(pd.DataFrame(rows), "run_model", by="batch_size", facet="device")
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == [f"batch_size={b}" for b in (1, 2, 4, 8, 16)] + [
        "mean", "median", "p99", "p99 from < 100 samples"]   # 39 samples per violin
    assert [ax.get_title() for ax in fig.axes] == ["device=cpu", "device=gpu"]
    plt.close(fig)
    fig = figures.violin(pd.DataFrame(rows), "run_model", by="device", facet=["batch_size"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == [f"batch_size={b}" for b in (1, 2, 4, 8, 16)]   # 2 rows of 3 panels
    assert len(fig.axes) == 6 and not fig.axes[5].get_visible()
    plt.close(fig)


def test_breakdown_adds_the_database_side_when_inference_data_exists(inference_dir, tmp_path):
    analysis = pipeline.analyze(load_study(inference_dir))
    fig = figures.breakdown(analysis.breakdown)
    assert [ax.get_title() for ax in fig.axes] == ["tensor_bytes=1KiB", "tensor_bytes=16KiB"]
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert labels[:4] == ["put_tensor", "run_script", "run_model", "unpack_tensor"]
    assert {"database: queue", "database: compute"} <= set(labels)
    plt.close(fig)
    written = pipeline.write_figures(analysis, tmp_path, kinds=("violins", "breakdown"))
    assert {"violin_run_model", "violin_run_script", "breakdown"} <= set(written)
    assert_not_blank_png(tmp_path / "breakdown.png")


def test_report_html_renders_every_figure_in_headless_chromium(analyzed, study_dir, tmp_path):
    report = study_dir / "report.html"
    text = report.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text), "external resource"
    assert "<script" not in text
    n_figures = len(list((study_dir / "figures").glob("*.png")))
    page = chromium.load(report.as_uri(), [
        "JSON.stringify(Array.from(document.querySelectorAll('figure img')).map("
        "i => [i.alt, i.src.slice(0, 22), i.complete, i.naturalWidth, i.naturalHeight]))",
        "document.documentElement.outerHTML",
    ])
    assert page.errors == [], page.errors
    images = json.loads(page.values[next(iter(page.values))])
    assert len(images) == n_figures == len(EXPECTED_FIGURES)
    for alt, prefix, complete, width, height in images:
        assert prefix == "data:image/png;base64,", alt
        assert complete and width >= 600 and height >= 300, (alt, width, height)
    dom = page.values["document.documentElement.outerHTML"]
    for text_in_page in ("Points that did not complete", "out of memory", "Provenance",
                         "refused: usl has 3 parameters", "git_sha", "start_time"):
        assert text_in_page in dom, text_in_page
    shot = tmp_path / "report.png"
    shot.write_bytes(page.screenshot)
    assert_not_blank_png(shot, min_bytes=50_000)


def test_report_html_opens_with_the_problems_and_leaves_flagged_points_out(flagged_dir,
                                                                           tmp_path):
    done = cli("html", flagged_dir, "--out", tmp_path, "--output", tmp_path / "report.html")
    assert done.returncode == 0, done.stderr
    analysis = pipeline.analyze(load_study(flagged_dir))
    assert [f"flagged: {line}" for line in analysis.problems] == \
        [line for line in done.stdout.splitlines() if line.startswith("flagged: ")]
    text = (tmp_path / "report.html").read_text()
    body = text[text.index("<h1>"):]
    problems = body[body.index('<div class="problems">'):body.index("</div>")]
    assert body.index('<div class="problems">') < body.index('<table class="meta">')
    assert [html.unescape(p) for p in re.findall(r'<p class="bad">(.*?)</p>', problems)] == \
        analysis.problems
    assert "2 of 10 points are unstable" in problems
    assert "flagged points</th><td>left out of scaling tables" in text
    # The summary table has a flags column; scaling lists what it left out.
    assert '<th class="l">flags</th>' in text and "oversubscribed" in text
    scaling = text[text.index('<h2 id="scaling">'):text.index('<h2 id="fits">')]
    assert "flagged client count(s) are left out of this table" in scaling
    assert "exact fit" not in text and "not enough points to fit: usl has 3 parameters" in text
    assert "95% intervals across repetitions" in text
    left = pd.read_csv(tmp_path / "scaling_left_out.csv")
    kept = pd.read_csv(tmp_path / "scaling.csv")
    assert set(left["clients"]) == {2, 3} and set(kept["clients"]) == {1, 2}
    assert kept["flags"].isna().all() and left["flags"].notna().all()


def test_the_threshold_and_an_unreadable_set_are_checked(study_dir, tmp_path):
    done = cli("compare", study_dir, tmp_path / "nope")
    assert done.returncode == 2 and "no such study directory" in done.stderr
    done = cli("compare", study_dir, study_dir, "--threshold", "-3")
    assert done.returncode == 2 and "a percentage from 0 to 1000" in done.stderr


def _relative(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)


@pytest.mark.parametrize("new", ["same", "slower"])
def test_compare_agrees_with_scalestudy_compare(study_dir, slower_dir, new, tmp_path):
    """The same set twice, then a copy whose put_tensor samples are 1.3 times slower: every
    verdict and p-value as `scalestudy compare --format json` (and, with the same resamples,
    the intervals); exactly put_tensor regressed; exit status 1 only then."""
    other = study_dir if new == "same" else slower_dir
    theirs_run = scalestudy("compare", "--format", "json", study_dir, other)
    assert theirs_run.returncode == (0 if new == "same" else 1), theirs_run.stderr
    theirs = json.loads(theirs_run.stdout)
    ours = compare.compare(study_dir, other)
    assert ours.attrs["matched"] == theirs["matched"] == 5
    assert ours.attrs["only_in_base"] == theirs["only_in_base"] == []
    assert ours.attrs["changed"] == theirs["changed"] == (new == "slower")
    assert len(ours) == len(theirs["rows"]) == 5 * 7
    for mine, ref in zip(ours.to_dict("records"), theirs["rows"]):
        where = (ref["point"], ref["operation"])
        for key in ("point", "base_id", "new_id", "operation", "base_n", "new_n", "verdict"):
            assert mine[key] == ref[key], (where, key)
        assert _relative(mine["p_value"], ref["p_value"], 1e-6), where
        for key in ("base_p50_s", "new_p50_s", "base_mean_s", "new_mean_s", "p50_change",
                    "mean_change"):
            assert _relative(mine[key], ref[key], 1e-9), (where, key)
        for name in ("p50_change", "mean_change"):
            interval = [mine[f"{name}_low"], mine[f"{name}_high"]]
            for a, b in zip(interval, ref[f"{name}_ci"]):
                assert _relative(None if math.isnan(a) else a, b, 1e-9), (where, name)
    regressed = set(ours.loc[ours["verdict"] == "regressed", "operation"])
    assert regressed == (set() if new == "same" else {"put_tensor"})
    assert not (ours["verdict"] == "improved").any()
    if new == "same":
        assert compare.summary_line(ours).startswith(
            "5 points matched, 35 operations: no significant change")
    # The CLI: the same table as JSON, the figure, the exit status.
    done = cli("compare", study_dir, other, "--format", "json", "--out", tmp_path)
    assert done.returncode == (0 if new == "same" else 1), done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert [r["verdict"] for r in rows] == [r["verdict"] for r in theirs["rows"]]
    assert f"wrote {tmp_path / 'compare.png'} (+ .pdf)" in done.stderr
    assert_not_blank_png(tmp_path / "compare.png")
    table = cli("compare", study_dir, other, "--out", tmp_path)
    assert compare.summary_line(ours) in table.stdout


def test_compare_matches_points_on_parameters_not_ids(study_dir, tmp_path):
    """A point file against a study: the file's parameters pick its repetitions out of the
    study, whatever its id; the study's other points are only in base."""
    point = next(study_dir.glob("points/*/point.h5"))
    ours = compare.compare(study_dir, point)
    theirs = json.loads(scalestudy("compare", "--format", "json", study_dir, point).stdout)
    assert ours.attrs["matched"] == theirs["matched"] == 1
    assert ours.attrs["only_in_base"] == theirs["only_in_base"]
    assert len(ours.attrs["only_in_base"]) == 4
    assert list(ours["verdict"]) == [r["verdict"] for r in theirs["rows"]]
    assert (ours["new_id"] == point.parent.name).all()


def _execute(notebook: str, study: Path, out: Path) -> dict:
    env = environment(SCALESTUDY_STUDY_DIR=str(study), PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)   # the kernel's inline backend shows the figures
    done = subprocess.run([PYTHON, "-m", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=300", "--output", str(out),
                           str(ANALYSIS_DIR / "notebooks" / notebook)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text())


def _outputs(notebook: dict) -> tuple[str, int]:
    text, images = [], 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", output
            text.append("".join(output.get("text", [])))
            images += "image/png" in output.get("data", {})
    return "\n".join(text), images


def test_throughput_notebook_executes_and_shows_its_figures(study_dir, tmp_path):
    text, images = _outputs(_execute("throughput_walkthrough.ipynb", study_dir,
                                     tmp_path / "throughput.ipynb"))
    assert "study analysis: 12 points, 10 completed, scaling strong" in text
    analysis = pipeline.analyze(load_study(study_dir))
    for line in analysis.problems:
        assert line in text
    if not analysis.problems:
        assert "No validity flag" in text
    fitted = len({f.law for f in analysis.fits if f.ok})
    assert images >= 7 + fitted   # 2 violins, 3 scaling, ranks, breakdown, the laws fitted


def test_inference_notebook_skips_inference_cells_on_a_throughput_study(study_dir, tmp_path):
    text, images = _outputs(_execute("inference_walkthrough.ipynb", study_dir,
                                     tmp_path / "inference.ipynb"))
    assert "No inference operations (run_script, run_model) in study analysis" in text
    assert "skipped: no run_script / run_model samples" in text
    assert "skipped: no /tables/model_requests table" in text
    assert images >= 3   # breakdown, latency-throughput, efficiency


def test_inference_notebook_runs_its_inference_cells_on_inference_data(inference_dir, tmp_path):
    text, images = _outputs(_execute("inference_walkthrough.ipynb", inference_dir,
                                     tmp_path / "inference.ipynb"))
    assert "No inference operations" not in text and "skipped" not in text
    assert images >= 5   # breakdown, 2 violins, latency-throughput, efficiency
