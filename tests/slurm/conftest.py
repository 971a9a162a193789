"""Fixtures for the tests against a real Slurm (scripts/slurm start): run scalestudy, write
studies, follow jobs, and cancel every job a test submitted when it ends."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("SCALESTUDY_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("SCALESTUDY_BUILD_DIR", SOURCE_DIR / "build"))
SCALESTUDY = BUILD_DIR / "scalestudy"

# Small points on the emulated 2-node cluster: one client node, one database node.
TWO_NODE_STUDY = """\
name: {name}
workload: throughput
backend: mpi
deployment: standard
iterations: 20
warmup: 1
parameters:
  client_nodes: 1
  ranks_per_node: 1
  db_nodes: 1
  db_ranks_per_node: 1
sweep:
  tensor_bytes: {sizes}
timeout_s: 60
launcher:
{launcher}
"""


def run(args, cwd, env=None, timeout=120):
    """Runs a command, returning the CompletedProcess with text output."""
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def scalestudy(*args, cwd, env=None, timeout=120):
    return run([SCALESTUDY, *args], cwd, env, timeout)


def write_study(folder: Path, name: str, sizes: str, launcher: str = "  hostfile: allocation"):
    path = folder / f"{name}.yaml"
    path.write_text(TWO_NODE_STUDY.format(name=name, sizes=sizes, launcher=launcher))
    return path


def status(folder: Path, name: str) -> dict:
    result = scalestudy("status", f"results/{name}", "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    """Polls `predicate` until it returns something true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def squeue(job_id: str) -> str:
    """The job's state as squeue reports it ("" once Slurm has forgotten it)."""
    result = run(["squeue", "--noheader", "--states=all", f"--jobs={job_id}", "--format=%T"], "/")
    return result.stdout.strip() if result.returncode == 0 else ""


def job_ended(job_id: str) -> bool:
    return squeue(job_id) not in ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING")


def submitted_ids(output: str) -> list:
    return [line.split()[2].rstrip(":") for line in output.splitlines()
            if line.startswith("submitted job ")]


@pytest.fixture(scope="session", autouse=True)
def cluster():
    """The cluster scripts/slurm started (ctest's fixture does, before these tests)."""
    result = run(["sinfo", "--noheader", "--Node", "--format=%N %t"], "/")
    if result.returncode != 0:
        pytest.fail("no Slurm answers: start it with scripts/slurm start\n" + result.stderr)
    nodes = result.stdout.split()
    assert len(nodes) >= 4, result.stdout  # two nodes, each with its state


@pytest.fixture
def jobs():
    """A list to put the ids of submitted jobs in; each is cancelled when the test ends."""
    ids = []
    yield ids
    if ids:
        run(["scancel", *ids], "/")
        for job_id in ids:
            wait_for(lambda j=job_id: job_ended(j), 60, f"job {job_id} to end")
