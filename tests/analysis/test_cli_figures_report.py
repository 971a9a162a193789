"""`scripts/analyze` and the CLI on the real study: figures written and not blank, tables,
the summary equal to `scalestudy report`, report.html rendered by headless Chromium with every
figure and no console error, and the notebooks executed headless."""

from __future__ import annotations

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
from conftest import ANALYSIS_DIR, PYTHON, SOURCE_DIR, environment, report_json  # noqa: E402
from scalestudy_analysis import figures, load_study, pipeline  # noqa: E402

OPERATIONS = ("put_tensor", "unpack_tensor", "raw_put_tensor", "raw_unpack_tensor")
EXPECTED_FIGURES = {*(f"violin_{op}" for op in OPERATIONS), *(f"ranks_{op}" for op in OPERATIONS),
                    "scaling_time", "scaling_throughput", "efficiency", "latency_put_tensor",
                    "breakdown", "fit_amdahl", "fit_usl", "karp_flatt"}


def cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "scalestudy_analysis", *map(str, args)],
                          capture_output=True, text=True, env=environment(MPLBACKEND="Agg"),
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def analyzed(study_dir):
    """`scripts/analyze STUDY_DIR --at-nodes 6`: figures, tables and report.html."""
    done = subprocess.run([str(SOURCE_DIR / "scripts" / "analyze"), str(study_dir),
                           "--at-nodes", "6"], capture_output=True, text=True, timeout=600,
                          env=environment(), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


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
    done = cli("summary", study_dir, "--format", "json")
    assert done.returncode == 0, done.stderr
    ours, theirs = json.loads(done.stdout), report_json(study_dir)
    assert ours["scaling_mode"] == theirs["scaling_mode"] == "strong"
    for key in ("operations", "scaling"):
        assert len(ours[key]) == len(theirs[key])
        for mine, ref in zip(ours[key], theirs[key]):
            assert mine.keys() >= ref.keys()
            for field, value in ref.items():
                pairs = zip(mine[field], value) if isinstance(value, list) else \
                    [(mine[field], value)]
                for a, b in pairs:
                    if isinstance(b, float) and b != 0:
                        assert math.isclose(a, b, rel_tol=1e-12), (key, field, a, b)
                    else:
                        assert a == b, (key, field, a, b)
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
    assert labels == [f"batch_size={b}" for b in (1, 2, 4, 8, 16)] + ["mean"]
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
    assert images >= 8   # 2 violins, 3 scaling, 2 fits, ranks, breakdown


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
