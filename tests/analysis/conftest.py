"""Fixtures for the analysis package's tests: one short real study (run once per session with
`scalestudy run`), its `scalestudy report` JSON, a copy of it with inference data added, a copy
with validity flags written as the point writer writes them, and a copy whose put_tensor
samples are 1.3 times slower."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

SOURCE_DIR = Path(os.environ.get("SCALESTUDY_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("SCALESTUDY_BUILD_DIR", SOURCE_DIR / "build"))
ANALYSIS_DIR = SOURCE_DIR / "analysis"
PYTHON = "/usr/bin/python3"   # Debian's interpreter: h5py, pandas, matplotlib, scipy
sys.path.insert(0, str(ANALYSIS_DIR))

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMP_NUM_THREADS": "1"}

# Strong scaling over 1, 2, 3 clients (iterations divided), two tensor sizes, two repetitions.
# db_max_memory lets two clients' 16 KiB tensors fit but not three: those two points fail
# (out of memory), so the study has failed points and a group with two client counts.
STUDY = """
name: analysis
description: analysis package test study
workload: throughput
iterations: 60
warmup: 3
parameters: {ranks_per_node: 1, verify: true, db_max_memory: 40KiB}
sweep:
  client_nodes: [1, 2, 3]
  tensor_bytes: [1KiB, 16KiB]
scaling: {mode: strong, divide: [iterations]}
repetitions: 2
timeout_s: 60
"""


def environment(**extra: str) -> dict[str, str]:
    """The test's environment for child processes: MPI as root, the package importable."""
    env = dict(os.environ, **MPI_ENV, **extra)
    env["PYTHONPATH"] = str(ANALYSIS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def scalestudy(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    program = BUILD_DIR / "scalestudy"
    if not program.exists():
        pytest.fail(f"{program} is missing: build first (scripts/setup)")
    return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=environment(), check=False)


def report_json(study_dir: Path, *flags: str) -> dict:
    """`scalestudy report DIR --format json [flags]`, parsed."""
    done = scalestudy("report", study_dir, "--format", "json", *flags)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def report_include_flagged() -> tuple[str, ...]:
    """The `scalestudy report` flag that keeps flagged points in its scaling table, when the
    build has it; a report without it (built before validity flags) keeps every point."""
    done = scalestudy("report", "--help")
    return ("--include-flagged",) if "--include-flagged" in done.stdout else ()


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real study: 12 points (10 completed, 2 failed), run with `scalestudy run`."""
    root = tmp_path_factory.mktemp("analysis_study")
    study = root / "analysis.yaml"
    study.write_text(f"results_dir: {root / 'results'}\n" + STUDY)
    done = scalestudy("run", study, timeout=600)
    assert "10 completed, 2 failed" in done.stdout, done.stdout + done.stderr
    return root / "results" / "analysis"


@pytest.fixture(scope="session")
def inference_dir(study_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the study whose point files also hold client run_script/run_model timings
    and a database-side /tables/model_requests table (queue_s, compute_s, batch_size per
    request), as scalestudy-rank writes for inference points."""
    copy = tmp_path_factory.mktemp("inference") / "analysis"
    shutil.copytree(study_dir, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    rng = np.random.default_rng(7)
    for path in sorted(copy.glob("points/*/point.h5")):
        with h5py.File(path, "r+") as f:
            base = f["timings/put_tensor"][()]
            for op, factor in (("run_script", 2.0), ("run_model", 5.0)):
                f["timings"].create_dataset(op, data=base * factor)
                f["timings"][op].attrs["bytes"] = np.int64(0)
                f["rows"].create_dataset(op, data=f["rows/put_tensor"][()])
                f["warmup"].create_dataset(op, data=f["warmup/put_tensor"][()])
                f["failures"].create_dataset(op, data=np.zeros(base.shape, dtype=bool))
            requests = base.size
            group = f.require_group("tables").create_group("model_requests")
            group["queue_s"] = rng.exponential(2e-6, requests)
            group["compute_s"] = rng.exponential(5e-6, requests)
            group["batch_size"] = rng.integers(1, 9, requests)
            group["kind"] = np.array([b"model"] * requests, dtype="S6")
            group["key"] = np.array([b"resnet_model"] * requests, dtype="S12")
            group["failed"] = np.zeros(requests, dtype=np.int64)
            group["rank"] = np.full(requests, int(f["database/world_rank"][()][0]), np.int32)
    return copy


#: Validity flags written into `flagged_dir`'s points (by client count and repetition): the
#: 3-client points oversubscribed, the second repetition of the 2-client points unstable.
FLAGGED = {(3, 0): "oversubscribed", (3, 1): "oversubscribed", (2, 1): "unstable"}


@pytest.fixture(scope="session")
def flagged_dir(study_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the study with the validity-flag attributes of the flags contract written
    explicitly: ``validity_flags`` on every point (FLAGGED, "" elsewhere) and ``flags`` on
    every operation (``few_samples`` on one-sample operations, ``warmup_dominated`` on
    client_init, "" elsewhere), whatever this machine's cores made of the run."""
    copy = tmp_path_factory.mktemp("flagged") / "analysis"
    shutil.copytree(study_dir, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    for path in sorted(copy.glob("points/*/point.h5")):
        with h5py.File(path, "r+") as f:
            params = f["parameters"].attrs
            key = (int(params["client_nodes"]), int(params["repetition"]))
            f.attrs["validity_flags"] = FLAGGED.get(key, "")
            for op in f["timings"]:
                one_sample = f["timings"][op].shape[1] == 1
                flags = ["few_samples"] if one_sample else []
                if op == "client_init":
                    flags.append("warmup_dominated")
                f["timings"][op].attrs["flags"] = ",".join(flags)
    return copy


@pytest.fixture(scope="session")
def slower_dir(study_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the study whose put_tensor samples took 1.3 times as long."""
    copy = tmp_path_factory.mktemp("slower") / "analysis"
    shutil.copytree(study_dir, copy, ignore=shutil.ignore_patterns("figures", "report.html"))
    for path in sorted(copy.glob("points/*/point.h5")):
        with h5py.File(path, "r+") as f:
            f["timings/put_tensor"][...] = f["timings/put_tensor"][()] * 1.3
    return copy
