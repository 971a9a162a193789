#!/bin/bash
# {{title}}
# Written by `scalestudy jobs` from a template ({{template}}) for Torque;
# placeholders are listed in jobs/README.md. Submit with qsub (or `scalestudy submit`);
# submitting it again after it died runs only the points that have no results yet.
#PBS -N {{job_name}}
#PBS -l nodes={{nodes}}:ppn={{cpus_per_node}}
#PBS -l walltime={{walltime}}
#PBS -j oe
#PBS -o {{log}}
{{directives}}
#
{{points}}
set -euo pipefail
# Site set-up (module load ..., the environment scalestudy was built in) goes here.
cd {{workdir}}
{{run}}
