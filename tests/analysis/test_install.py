"""`analysis/` installs with Debian's pip and setuptools, without an index: the installed
package imports, its `scalestudy-analysis` command and `scripts/analyze` run from it, away
from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ANALYSIS_DIR, MPI_ENV, PYTHON, SOURCE_DIR, report_include_flagged, \
    report_json


def _clean_env(**extra: str) -> dict[str, str]:
    """An environment without the checkout on PYTHONPATH (nor a pip index)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(MPI_ENV, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", MPLBACKEND="Agg",
               **extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """`pip install --no-build-isolation --prefix TMP` of a copy of analysis/ (pip builds in
    the source tree: the checkout stays clean)."""
    root = tmp_path_factory.mktemp("install")
    source = root / "analysis"
    shutil.copytree(ANALYSIS_DIR, source, ignore=shutil.ignore_patterns(
        "__pycache__", "build", "*.egg-info", "notebooks"))
    prefix = root / "prefix"
    done = subprocess.run([PYTHON, "-m", "pip", "install", "--no-build-isolation",
                           "--prefix", str(prefix), str(source)], capture_output=True,
                          text=True, cwd=root, env=_clean_env(), timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    packages = list(prefix.glob("**/site-packages/scalestudy_analysis")) + \
        list(prefix.glob("**/dist-packages/scalestudy_analysis"))
    commands = list(prefix.glob("**/bin/scalestudy-analysis"))
    assert len(packages) == 1 and len(commands) == 1, (packages, commands)
    return {"root": root, "site": packages[0].parent, "command": commands[0]}


def test_the_installed_package_imports_from_the_prefix(installed):
    done = subprocess.run([PYTHON, "-c", "import scalestudy_analysis as s; "
                           "print(s.__file__, s.__version__)"], capture_output=True,
                          text=True, cwd=installed["root"],
                          env=_clean_env(PYTHONPATH=str(installed["site"])), check=False)
    assert done.returncode == 0, done.stderr
    path, version = done.stdout.split()
    assert Path(path).is_relative_to(installed["site"]) and version == "0.1.0"
    metadata = list(installed["site"].glob("scalestudy_analysis-0.1.0.dist-info/entry_points.txt"))
    assert metadata and "scalestudy-analysis = scalestudy_analysis.cli:main" in \
        metadata[0].read_text()


def test_the_entry_point_gives_the_report_numbers(installed, study_dir):
    done = subprocess.run([str(installed["command"]), "summary", str(study_dir), "--format",
                           "json", "--include-flagged", "--out", str(installed["root"] / "t")],
                          capture_output=True, text=True, cwd=installed["root"],
                          env=_clean_env(PYTHONPATH=str(installed["site"])), timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    ours = json.loads(done.stdout)["operations"]
    theirs = report_json(study_dir, *report_include_flagged())["operations"]
    assert [(r["point_id"], r["operation"], r["n"]) for r in ours] == \
        [(r["point_id"], r["operation"], r["n"]) for r in theirs]
    for mine, ref in zip(ours, theirs):
        assert mine["p50_s"] == pytest.approx(ref["p50_s"], rel=1e-12)
    usage = subprocess.run([str(installed["command"]), "--help"], capture_output=True,
                           text=True, env=_clean_env(PYTHONPATH=str(installed["site"])),
                           check=False)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: scalestudy-analysis")


def test_scripts_analyze_runs_the_installed_package_without_a_checkout(installed, study_dir,
                                                                      tmp_path):
    scripts = tmp_path / "elsewhere" / "scripts"   # a scripts/analyze with no analysis/ beside
    scripts.mkdir(parents=True)
    shutil.copy(SOURCE_DIR / "scripts" / "analyze", scripts / "analyze")
    point = next(study_dir.glob("points/*/point.h5"))   # one point: fewer figures to draw
    copy = tmp_path / "one" / point.parent.name / "point.h5"
    copy.parent.mkdir(parents=True)
    shutil.copy(point, copy)
    done = subprocess.run([str(scripts / "analyze"), str(copy)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600,
                          env=_clean_env(PYTHONPATH=str(installed["site"])), check=False)
    assert done.returncode == 0, done.stderr
    assert f"report: {copy.parent / 'report.html'}" in done.stdout
    assert (copy.parent / "figures" / "violin_put_tensor.png").exists()
    assert f"reading {copy.parent}: 1 points, 1 completed" in done.stderr
