"""Shared fixtures for end-to-end tests: locate the build and run MPI jobs."""

import os
import subprocess
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


def run_mpi(ranks: int, program: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs `mpirun -n ranks program args...`, capturing text output."""
    env = dict(os.environ, **MPI_ENV)
    return subprocess.run(
        [MPIEXEC, "-n", str(ranks), "--oversubscribe", str(program), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False)
