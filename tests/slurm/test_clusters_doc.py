"""docs/clusters.md, as a user would follow it: every shell block marked `<!-- test: slurm -->`
runs, in order, on the local Slurm, from a folder that has the build and the studies."""

import re
import subprocess

from conftest import BUILD_DIR, SOURCE_DIR, status

DOC = SOURCE_DIR / "docs/clusters.md"


def slurm_blocks() -> list:
    return re.findall(r"<!-- test: slurm -->\s*```sh\n(.*?)```", DOC.read_text(), re.S)


def test_the_slurm_walkthrough_runs_as_written(tmp_path):
    blocks = slurm_blocks()
    assert len(blocks) >= 6, "docs/clusters.md lost its tested Slurm steps"
    (tmp_path / "build").symlink_to(BUILD_DIR)
    (tmp_path / "studies").symlink_to(SOURCE_DIR / "studies")
    outputs = []
    for block in blocks:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    text = "\n".join(outputs)
    assert "summary: 8 points, 2 nodes each" in text
    assert "#SBATCH --nodes=2" in text
    assert re.search(r"submitted job \d+: jobs/cluster_quickstart/1-2nodes.sh", text)
    assert "8 points already done, left out" in text  # the resubmission runs nothing
    assert status(tmp_path, "cluster_quickstart")["counts"]["completed"] == 8
    assert status(tmp_path, "cluster_quickstart_srun")["counts"]["completed"] == 3
    assert "put_tensor" in text and "raw_put_tensor" in text  # the report
