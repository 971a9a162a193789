"""scalestudy on a real Slurm (scripts/slurm: slurmctld and two slurmd on this machine):
job scripts submitted and run, status against squeue, cancelled jobs resubmitted, srun, points
too large for their allocation, and refusals."""

import os
import re
from pathlib import Path

import h5py

from conftest import (SCALESTUDY, job_ended, run, scalestudy, squeue, status, submitted_ids,
                      wait_for, write_study)


def index_columns(folder: Path, name: str) -> dict:
    with h5py.File(folder / f"results/{name}/index.h5", "r") as f:
        return {key: list(f[f"points/{key}"].asstr()[()])
                for key in ("id", "status", "reason", "job_id", "scheduler")}


def completed_files(folder: Path, name: str) -> dict:
    """Point id -> (inode, mtime in ns) of each complete point file."""
    out = {}
    for path in (folder / f"results/{name}/points").glob("*/point.h5"):
        info = path.stat()
        out[path.parent.name] = (info.st_ino, info.st_mtime_ns)
    return out


def test_submit_runs_every_point_of_a_two_node_study(tmp_path, jobs):
    study = write_study(tmp_path, "two_node", "[1KiB, 4KiB, 16KiB, 64KiB]")
    result = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = submitted_ids(result.stdout)
    jobs.extend(ids)
    assert len(ids) == 1, result.stdout  # four 2-node points share one allocation
    script = next((tmp_path / "jobs/two_node").glob("*.sh")).read_text()
    for directive in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=1",
                      "#SBATCH --cpus-per-task=1", "#SBATCH --time=00:09:00",
                      "#SBATCH --exclusive"):
        assert directive in script, script
    wait_for(lambda: job_ended(ids[0]), 180, "the job to end")

    index = index_columns(tmp_path, "two_node")
    assert index["status"] == ["completed"] * 4, index
    assert index["job_id"] == ids * 4
    assert index["scheduler"] == ["slurm"] * 4
    assert {p["state"] for p in status(tmp_path, "two_node")["points"]} == {"completed"}
    # Each point's client on the first node of the allocation, its database on the second.
    with h5py.File(tmp_path / f"results/two_node/points/{index['id'][0]}/point.h5", "r") as f:
        assert list(f["ranks/node"][()]) == [0, 1]
        assert list(f["ranks/role"].asstr()[()]) == ["client", "database"]


def test_srun_places_uneven_nodes_and_skips_points_too_large_for_the_allocation(tmp_path, jobs):
    study = tmp_path / "uneven.yaml"
    study.write_text(write_study(tmp_path, "x", "[1KiB]").read_text()
                     .replace("name: x", "name: uneven")
                     .replace("  client_nodes: 1\n  ranks_per_node: 1\n", "")
                     .replace("  hostfile: allocation", "  kind: srun\n  mpi: pmix")
                     + "zip:\n  - client_nodes: [1, 2]\n    ranks_per_node: [2, 1]\n")
    result = run(["sbatch", "--parsable", "--wait", "--nodes=2", "--exclusive",
                  f"--output={tmp_path}/job.out",
                  f"--wrap={SCALESTUDY} plan {study} && {SCALESTUDY} run {study}"],
                 tmp_path, timeout=180)
    jobs.append(result.stdout.strip())
    log = (tmp_path / "job.out").read_text()
    assert result.returncode == 0, log
    assert "skipped (needs 3 nodes, the allocation has 2)" in log  # plan says so first
    assert "srun --nodes=2 --ntasks=3 --distribution=arbitrary --cpus-per-task=1" in log
    assert "--mpi=pmix" in log and "mpirun" not in log

    index = index_columns(tmp_path, "uneven")
    assert index["status"] == ["completed", "skipped"], index
    assert index["reason"][1] == "needs 3 nodes, the allocation has 2"
    point = tmp_path / f"results/uneven/points/{index['id'][0]}"
    assert (point / "hostfile").read_text() == "n1\nn1\nn2\n"  # two clients, then the database
    with h5py.File(point / "point.h5", "r") as f:
        assert list(f["ranks/node"][()]) == [0, 0, 1]


def test_an_allocation_smaller_than_every_point_is_refused_before_anything_runs(tmp_path, jobs):
    study = write_study(tmp_path, "too_big", "[1KiB, 4KiB]")
    result = run(["sbatch", "--parsable", "--wait", "--nodes=1", f"--output={tmp_path}/job.out",
                  f"--wrap={SCALESTUDY} run {study}"], tmp_path, timeout=120)
    jobs.append(result.stdout.strip())
    log = (tmp_path / "job.out").read_text()
    assert result.returncode != 0
    assert "is smaller than every point selected (the smallest needs 2 nodes)" in log, log
    assert not (tmp_path / "results/too_big/points").exists()


def test_status_shows_a_queued_job_as_squeue_does(tmp_path, jobs):
    blocker = run(["sbatch", "--parsable", "--nodes=2", "--exclusive", "--output=/dev/null",
                   "--wrap=sleep 300"], tmp_path)
    assert blocker.returncode == 0, blocker.stderr
    jobs.append(blocker.stdout.strip())
    wait_for(lambda: squeue(jobs[0]) == "RUNNING", 30, "the blocking job to run")
    study = write_study(tmp_path, "queued", "[1KiB, 4KiB]")
    result = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    job = submitted_ids(result.stdout)[0]
    jobs.append(job)

    assert squeue(job) == "PENDING"
    view = status(tmp_path, "queued")
    assert view["counts"]["queued"] == 2, view
    for point in view["points"]:
        assert point["state"] == "queued" and point["job_id"] == job, point
        assert f"job {job} is PENDING" in point["detail"], point
    table = scalestudy("status", "results/queued", cwd=tmp_path).stdout
    assert re.search(rf"queued\s+{job}\s+tensor_bytes=1KiB; job {job} is PENDING", table), table
    # Submitting again does not queue the same points twice.
    again = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path)
    assert again.returncode == 0 and submitted_ids(again.stdout) == [], again.stdout
    assert "2 points already in a queued or running job, left out" in again.stdout

    run(["scancel", jobs[0]], tmp_path)
    wait_for(lambda: job_ended(job), 120, "the study's job to run once the nodes are free")
    assert status(tmp_path, "queued")["counts"]["completed"] == 2


def test_a_cancelled_job_submitted_again_runs_only_the_missing_points(tmp_path, jobs):
    study = write_study(tmp_path, "cancelled", "[1KiB, 2KiB, 4KiB, 8KiB, 16KiB, 32KiB]")
    first = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    job = submitted_ids(first.stdout)[0]
    jobs.append(job)

    def two_done_one_running():
        counts = status(tmp_path, "cancelled")["counts"]
        return counts["completed"] >= 2 and counts["running"] == 1
    wait_for(two_done_one_running, 120, "two points completed and a third running")
    run(["scancel", job], tmp_path)
    wait_for(lambda: job_ended(job), 60, "the cancelled job to end")

    before = completed_files(tmp_path, "cancelled")
    view = status(tmp_path, "cancelled")
    done = {p["id"] for p in view["points"] if p["state"] == "completed"}
    missing = {p["id"] for p in view["points"]} - done
    assert set(before) == done and 2 <= len(done) < 6, view
    interrupted = [p for p in view["points"] if "while the point ran" in p["detail"]]
    assert len(interrupted) == 1 and interrupted[0]["state"] == "pending", view
    assert f"job {job} ended (CANCELLED)" in interrupted[0]["detail"]

    second = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"{len(done)} points already done, left out" in second.stdout
    job2 = submitted_ids(second.stdout)[0]
    jobs.append(job2)
    script = next((tmp_path / "jobs/cancelled").glob("*.sh")).read_text()
    assert set(re.findall(r"--only id=([0-9a-f]{16})", script)) == missing
    wait_for(lambda: job_ended(job2), 180, "the second job to end")

    index = index_columns(tmp_path, "cancelled")
    assert index["status"] == ["completed"] * 6, index
    after = completed_files(tmp_path, "cancelled")
    assert {i: after[i] for i in before} == before  # no completed result rerun or lost
    log = next((tmp_path / "results/cancelled/jobs").glob(f"*-{job2}.out")).read_text()
    ran = set(re.findall(r"\] ([0-9a-f]{16}) ", log))
    assert ran == missing, log


def test_submit_refusals_show_the_schedulers_own_message(tmp_path, jobs):
    study = write_study(tmp_path, "refused", "[1KiB]")
    bad = scalestudy("submit", study, "--scheduler", "slurm", "--partition", "nosuch",
                     cwd=tmp_path)
    assert bad.returncode == 3, bad.stdout + bad.stderr
    assert "sbatch refused" in bad.stderr and "invalid partition" in bad.stderr.lower(), bad.stderr
    assert "--partition" in bad.stderr  # what to change
    assert not (tmp_path / "results/refused/index.h5").exists()  # nothing was submitted

    # Three nodes on a partition of two: refused before sbatch, where Slurm would queue the
    # job for ever (PartitionNodeLimit).
    three = tmp_path / "three.yaml"
    three.write_text(study.read_text().replace("name: refused", "name: three")
                     .replace("client_nodes: 1", "client_nodes: 2"))
    big = scalestudy("submit", three, "--scheduler", "slurm", cwd=tmp_path)
    assert big.returncode == 2, big.stdout + big.stderr
    assert "needs 3 nodes, more than the 2 of partition debug" in big.stderr, big.stderr
    assert "submitted job" not in big.stdout

    no_slurm = dict(os.environ, PATH="/nonexistent")
    missing = scalestudy("submit", study, "--scheduler", "slurm", cwd=tmp_path, env=no_slurm)
    assert missing.returncode == 2
    assert "sbatch is not on PATH" in missing.stderr and "slurm-client" in missing.stderr
