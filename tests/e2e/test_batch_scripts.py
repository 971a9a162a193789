"""Job scripts without a scheduler: `scalestudy jobs` for Slurm, PBS Pro and Torque, checked
against each scheduler's directive syntax (Debian has no PBS server to submit to), packing and
wall times, templates, the plan footer, and `submit`/`status` through stand-in qsub and qstat
commands that answer as PBS does."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD_DIR, MPI_ENV, SOURCE_DIR

SCALESTUDY = BUILD_DIR / "scalestudy"

STUDY = """\
name: {name}
workload: throughput
iterations: 10
parameters:
  ranks_per_node: 4
  db_ranks_per_node: 2
  client_threads: 2
sweep:
  db_nodes: [1, 2]
  client_nodes: [1, 2, 4]
timeout_s: 600
launcher:
  hostfile: allocation
"""


@pytest.fixture(scope="module", autouse=True)
def no_scheduler(tmp_path_factory):
    """No scheduler answers these tests, even where a local Slurm runs (tests/slurm use it):
    an sinfo that knows nothing comes first on PATH."""
    folder = tmp_path_factory.mktemp("no-scheduler")
    (folder / "sinfo").write_text("#!/bin/sh\necho 'sinfo: no cluster here' >&2\nexit 1\n")
    (folder / "sinfo").chmod(0o755)
    NO_SCHEDULER["PATH"] = f"{folder}:{os.environ['PATH']}"


NO_SCHEDULER = {}


def scalestudy(*args, cwd, env=None):
    env = {**os.environ, **MPI_ENV, **NO_SCHEDULER, **(env or {})}
    return subprocess.run([str(SCALESTUDY), *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd, check=False)


def write_study(folder: Path, name="batch", text=STUDY) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text.format(name=name))
    return path


def directives(script: str, prefix: str) -> list:
    """The directive lines a scheduler reads: those before the first command."""
    lines = []
    for line in script.splitlines()[1:]:
        if line.startswith(prefix):
            lines.append(line[len(prefix):].strip())
        elif line.strip() and not line.startswith("#"):
            break
    return lines


def pbs_options(script: str) -> list:
    """(option, value) of every #PBS directive, as qsub parses them."""
    options = []
    for directive in directives(script, "#PBS"):
        match = re.fullmatch(r"-([A-Za-z])(?:\s+(\S.*))?", directive)
        assert match, f"not a qsub option: #PBS {directive}"
        options.append((match.group(1), match.group(2) or ""))
    return options


WALLTIME = re.compile(r"walltime=\d+:[0-5]\d:[0-5]\d")
JOB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")  # PBS and Torque: 15 characters


def check_pbs_pro(script: str):
    """PBS Pro / OpenPBS: select chunks, place, walltime; no Torque nodes= requests."""
    options = pbs_options(script)
    resources = [value for option, value in options if option == "l"]
    selects = [r for r in resources if r.startswith("select=")]
    assert len(selects) == 1, resources
    chunk = re.fullmatch(r"select=(\d+)((?::[a-z_]+=[^:\s]+)+)", selects[0])
    assert chunk, selects[0]
    fields = dict(item.split("=") for item in chunk.group(2)[1:].split(":"))
    assert set(fields) <= {"ncpus", "mpiprocs", "ompthreads", "mem", "ngpus"}, fields
    assert all(value.isdigit() and int(value) > 0 for value in fields.values()), fields
    assert int(fields["mpiprocs"]) >= 1 and int(fields["ncpus"]) >= 1
    places = [r for r in resources if r.startswith("place=")]
    for place in places:
        parts = place.removeprefix("place=").split(":")
        assert parts[0] in {"free", "pack", "scatter", "vscatter"}, place
        assert set(parts[1:]) <= {"excl", "shared", "exclhost"}, place
    assert sum(bool(WALLTIME.fullmatch(r)) for r in resources) == 1, resources
    assert not any(r.startswith("nodes=") for r in resources), "nodes= is Torque's, not PBS Pro's"
    names = [value for option, value in options if option == "N"]
    assert len(names) == 1 and JOB_NAME.fullmatch(names[0]), names
    assert dict(options).get("j") in {"oe", "eo", "n"}
    return int(chunk.group(1)), fields


def check_torque(script: str):
    """Torque: nodes=N:ppn=P and walltime; no PBS Pro select or place."""
    options = pbs_options(script)
    resources = [value for option, value in options if option == "l"]
    nodes = [r for r in resources if r.startswith("nodes=")]
    assert len(nodes) == 1, resources
    match = re.fullmatch(r"nodes=(\d+):ppn=(\d+)", nodes[0])
    assert match and int(match.group(1)) > 0 and int(match.group(2)) > 0, nodes
    assert sum(bool(WALLTIME.fullmatch(r)) for r in resources) == 1, resources
    assert not any(r.startswith(("select=", "place=")) for r in resources), resources
    names = [value for option, value in options if option == "N"]
    assert len(names) == 1 and JOB_NAME.fullmatch(names[0]), names
    return int(match.group(1)), int(match.group(2))


def scripts_of(folder: Path) -> list:
    return sorted(folder.glob("*.sh"))


def run_ids(script: str) -> list:
    return re.findall(r"--only id=([0-9a-f]{16})", script)


def test_slurm_scripts_pack_points_by_node_count_with_their_wall_time(tmp_path):
    study = write_study(tmp_path)
    done = scalestudy("jobs", study, "--scheduler", "slurm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scripts = scripts_of(tmp_path / "jobs/batch")
    # Points need client_nodes + db_nodes: 2, 3, 3, 4, 5, 6 nodes -> five allocations.
    assert [s.name for s in scripts] == ["1-2nodes.sh", "2-3nodes.sh", "3-4nodes.sh",
                                         "4-5nodes.sh", "5-6nodes.sh"]
    three = scripts[1].read_text()
    lines = directives(three, "#SBATCH")
    assert "--nodes=3" in lines and "--ntasks-per-node=4" in lines
    assert "--cpus-per-task=2" in lines and "--exclusive" in lines
    assert "--time=00:25:00" in lines  # two points of 600 s, plus 5 minutes
    assert any(line.startswith("--output=") and line.endswith("/results/batch/jobs/2-3nodes-%j.out")
               for line in lines), lines
    assert (tmp_path / "results/batch/jobs").is_dir()  # Slurm does not create it
    assert len(run_ids(three)) == 2
    assert f"cd {tmp_path}" in three and f"run {study}" in three
    assert os.access(scripts[1], os.X_OK)
    # Every point in exactly one script.
    ids = [i for s in scripts for i in run_ids(s.read_text())]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert str(scripts[0].relative_to(tmp_path)) in done.stdout


def test_max_time_splits_and_max_idle_lets_small_points_ride(tmp_path):
    study = write_study(tmp_path)
    split = scalestudy("jobs", study, "--scheduler", "slurm", "--max-time", "00:15:00",
                       "--output", "split", cwd=tmp_path)
    assert split.returncode == 0, split.stderr
    # The two 3-node points no longer fit one 15-minute allocation.
    assert len(scripts_of(tmp_path / "split")) == 6
    for script in scripts_of(tmp_path / "split"):
        assert "#SBATCH --time=00:15:00" in script.read_text()

    ride = scalestudy("jobs", study, "--scheduler", "slurm", "--max-idle", "40",
                      "--output", "ride", cwd=tmp_path)
    assert ride.returncode == 0, ride.stderr
    # 5 nodes in a 6-node allocation leave 17% idle, 4 in 6 33%, 3 in 4 25%, 2 in 3 33%.
    names = [s.name for s in scripts_of(tmp_path / "ride")]
    assert names == ["1-6nodes.sh"] or len(names) < 5, names

    too_long = scalestudy("jobs", study, "--scheduler", "slurm", "--max-time", "00:09:00",
                          cwd=tmp_path)
    assert too_long.returncode == 2
    assert "raise --max-time or lower the study's timeout_s" in too_long.stderr


def test_nodes_leaves_out_points_larger_than_the_machine(tmp_path):
    study = write_study(tmp_path)
    done = scalestudy("jobs", study, "--scheduler", "slurm", "--nodes", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("left out") == 2  # the 5- and 6-node points
    assert "needs 6 nodes, more than the 4 of --nodes" in done.stdout
    assert len(scripts_of(tmp_path / "jobs/batch")) == 3


def test_pbs_pro_scripts_follow_its_directive_syntax(tmp_path):
    study = write_study(tmp_path, name="a_rather_long_study_name")
    done = scalestudy("jobs", study, "--scheduler", "pbs", "--account", "proj42",
                      "--partition", "workq", "--cpus-per-node", "8", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scripts = scripts_of(tmp_path / "jobs/a_rather_long_study_name")
    assert len(scripts) == 5
    for script in scripts:
        text = script.read_text()
        nodes, fields = check_pbs_pro(text)
        assert f"-{nodes}nodes.sh" in script.name
        assert fields["mpiprocs"] == "4" and fields["ompthreads"] == "2"
        assert fields["ncpus"] == "8"  # 4 ranks x 2 threads, exactly a node
        options = pbs_options(text)
        assert ("A", "proj42") in options and ("q", "workq") in options
        assert ("l", "place=scatter:excl") in options
    qos = scalestudy("jobs", study, "--scheduler", "pbs", "--qos", "high", cwd=tmp_path)
    assert qos.returncode == 2 and "PBS Pro has no QOS" in qos.stderr


def test_torque_scripts_follow_its_directive_syntax(tmp_path):
    study = write_study(tmp_path)
    done = scalestudy("jobs", study, "--scheduler", "torque", "--qos", "high",
                      "--cpus-per-node", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for script in scripts_of(tmp_path / "jobs/batch"):
        text = script.read_text()
        nodes, ppn = check_torque(text)
        assert ppn == 4  # 8 CPUs wanted, a node has 4: at most the node
        assert ("l", "qos=high") in pbs_options(text)


def test_a_site_template_is_used_and_checked(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    template = (SOURCE_DIR / "jobs/slurm.sh").read_text().replace(
        "# Site set-up", "module load openmpi/4.1\n# Site set-up")
    (site / "slurm.sh").write_text(template)
    study = write_study(tmp_path, text=STUDY + "  template: site/slurm.sh\n")
    done = scalestudy("jobs", study, "--scheduler", "slurm", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = scripts_of(tmp_path / "jobs/batch")[0].read_text()
    assert "module load openmpi/4.1" in text and str(site / "slurm.sh") in text

    (site / "slurm.sh").write_text(template.replace("{{nodes}}", "{{node_count}}"))
    bad = scalestudy("jobs", study, "--scheduler", "slurm", cwd=tmp_path)
    assert bad.returncode == 2
    assert re.search(r"site/slurm.sh:\d+: unknown placeholder \{\{node_count\}\}", bad.stderr)
    (site / "slurm.sh").write_text(template.replace("{{run}}", ""))
    norun = scalestudy("jobs", study, "--scheduler", "slurm", cwd=tmp_path)
    assert norun.returncode == 2 and "has no {{run}}" in norun.stderr


def test_every_placeholder_is_documented():
    readme = (SOURCE_DIR / "jobs/README.md").read_text()
    used = set()
    for template in ("slurm.sh", "pbs.sh", "torque.sh"):
        used |= set(re.findall(r"\{\{(\w+)\}\}", (SOURCE_DIR / "jobs" / template).read_text()))
    documented = set(re.findall(r"`\{\{(\w+)\}\}`", readme))
    assert used <= documented, used - documented
    assert "run" in documented and len(documented) >= 15


def test_plan_on_a_login_node_ends_with_a_footer(tmp_path):
    study = write_study(tmp_path)
    refused = scalestudy("plan", study, cwd=tmp_path)
    assert refused.returncode == 2 and "--nodes N" in refused.stderr
    done = scalestudy("plan", study, "--nodes", "5", "--cpus-per-node", "8", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipped (needs 6 nodes, the allocation has 5)" in done.stdout
    assert "summary: 6 points, 2 to 6 nodes each; 1 cannot run on the allocation planned for (5 nodes, --nodes 5)"\
        ", left out" in done.stdout
    assert "scalestudy jobs would write 4 allocations" in done.stdout
    # 2+3+3+4+5 nodes' points of 600 s, plus 5 minutes per allocation (6-node point left out).
    hours = (2 * 900 + 3 * 1500 + 4 * 900 + 5 * 900) / 3600
    assert f"node-hours asked for: {hours:.1f}" in done.stdout, done.stdout


def fake_pbs(folder: Path, qstat_state: str) -> dict:
    """qsub and qstat stand-ins that answer as PBS does, logging their arguments."""
    bin_dir = folder / "fake-pbs"
    bin_dir.mkdir()
    log = folder / "pbs-calls.txt"
    (bin_dir / "qsub").write_text(
        "#!/bin/sh\n"
        f"echo \"qsub $*\" >> {log}\n"
        f"n=$(grep -c '^qsub' {log})\n"
        "echo \"$n.pbs-server\"\n")
    (bin_dir / "qstat").write_text(
        "#!/bin/sh\n"
        f"echo \"qstat $*\" >> {log}\n"
        "for id; do :; done\n"
        "printf 'Job Id: %s\\n    Job_Name = x\\n    job_state = "
        f"{qstat_state}\\n    comment = Not Running: Insufficient amount of resource: ncpus\\n'"
        " \"$id\"\n")
    for program in ("qsub", "qstat"):
        (bin_dir / program).chmod(0o755)
    return {"PATH": f"{bin_dir}:{NO_SCHEDULER['PATH']}"}


@pytest.mark.parametrize("scheduler", ["pbs", "torque"])
def test_submit_records_pbs_job_ids_and_status_asks_qstat(tmp_path, scheduler):
    env = fake_pbs(tmp_path, "Q")
    study = write_study(tmp_path)
    done = scalestudy("submit", study, "--scheduler", scheduler, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("submitted job")][0] \
        .startswith("submitted job 1.pbs-server: ")
    calls = (tmp_path / "pbs-calls.txt").read_text().splitlines()
    assert len([c for c in calls if c.startswith("qsub ")]) == 5
    view = json.loads(scalestudy("status", "results/batch", "--format", "json",
                                 cwd=tmp_path, env=env).stdout)
    assert view["counts"]["queued"] == 6, view
    assert {p["job_id"] for p in view["points"]} == {f"{n}.pbs-server" for n in range(1, 6)}
    assert "is Q (Not Running: Insufficient amount of resource: ncpus)" in view["points"][0]["detail"]
    qstats = [c for c in (tmp_path / "pbs-calls.txt").read_text().splitlines()
              if c.startswith("qstat")]
    # PBS Pro's -x also shows finished jobs; Torque's -x would mean XML.
    assert all(("-x" in c.split()) == (scheduler == "pbs") for c in qstats), qstats
    # A second submit leaves the queued points alone.
    again = scalestudy("submit", study, "--scheduler", scheduler, cwd=tmp_path, env=env)
    assert "6 points already in a queued or running job, left out" in again.stdout, again.stdout


def test_submit_without_the_schedulers_commands_names_the_package(tmp_path):
    study = write_study(tmp_path)
    done = scalestudy("submit", study, "--scheduler", "torque", cwd=tmp_path,
                      env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "qsub is not on PATH" in done.stderr and "torque-client" in done.stderr


def test_the_pbs_command_of_the_clusters_doc_writes_valid_scripts(tmp_path):
    doc = (SOURCE_DIR / "docs/clusters.md").read_text()
    line = re.search(r"^build/scalestudy jobs .*--scheduler pbs.*$", doc, re.M).group(0)
    (tmp_path / "build").symlink_to(BUILD_DIR)
    (tmp_path / "studies").symlink_to(SOURCE_DIR / "studies")
    done = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, **NO_SCHEDULER}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    script = (tmp_path / "jobs/cluster_quickstart/1-2nodes.sh").read_text()
    assert check_pbs_pro(script)[0] == 2
