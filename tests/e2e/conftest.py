"""Shared fixtures for end-to-end tests: locate the build and run MPI jobs."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("SCALESTUDY_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("SCALESTUDY_BUILD_DIR", SOURCE_DIR / "build"))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")

# Open MPI refuses root without these; oversubscription lets 5 ranks share 2 cores.
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="session")
def rank_program() -> Path:
    program = BUILD_DIR / "scalestudy-rank"
    if not program.exists():
        pytest.fail(f"{program} is missing: build first (scripts/setup)")
    return program


def run_in_session(argv: list, env: dict, timeout: float, cwd=None) -> subprocess.CompletedProcess:
    """Runs `argv` in a session of its own, capturing text output. The result's `session` is
    the session id: every process the command started (ranks, redis-server) carries it, so a
    test can look for leftovers among its own processes only, whatever else runs beside it."""
    with subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    result.session = proc.pid
    return result


def session_processes(session: int, name: str = "") -> list:
    """Pids of the live processes of `session` (named `name`, when given)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces, so split after it.
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z" and (not name or comm == name):
            pids.append(int(entry.name))
    return pids


def leftovers(session: int, name: str = "", wait: float = 5.0) -> list:
    """The processes of `session` still alive after `wait` seconds (SIGKILLs take a moment)."""
    deadline = time.monotonic() + wait
    while session_processes(session, name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return session_processes(session, name)


def run_mpi(ranks: int, program: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs `mpirun -n ranks program args...` in a session of its own, capturing text output."""
    env = dict(os.environ, **MPI_ENV)
    return run_in_session([MPIEXEC, "-n", str(ranks), "--oversubscribe", str(program), *args],
                          env, timeout)
