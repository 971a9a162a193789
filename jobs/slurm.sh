#!/bin/bash
# {{title}}
# Written by `scalestudy jobs` from a template ({{template}}); placeholders are listed in
# jobs/README.md. Submit with sbatch (or `scalestudy submit`); submitting it again after it
# died runs only the points that have no results yet.
#SBATCH --job-name={{job_name}}
#SBATCH --nodes={{nodes}}
#SBATCH --ntasks-per-node={{tasks_per_node}}
#SBATCH --cpus-per-task={{cpus_per_task}}
#SBATCH --time={{walltime}}
#SBATCH --output={{log}}
#SBATCH --exclusive
{{directives}}
#
{{points}}
set -euo pipefail
# Site set-up (module load ..., the environment scalestudy was built in) goes here.
cd {{workdir}}
{{run}}
