#!/bin/bash
# N workers on one study, as a Slurm job array: 8 tasks, each running `tunelab run` on the same
# study file. They share the study through PostgreSQL, so together they run limits.trials trials
# (200 here), each trial once; every task ends (exit 0) when the limit is reached.
#
#   export TUNELAB_STORAGE='postgresql://tuner@db.example.org:5432/studies'
#   sbatch --export=ALL examples/slurm-array.sh        # from the repository (or your project) folder
#
# The password does not belong in the URL here (sbatch scripts and environments are readable by
# others on many clusters): put it in ~/.pgpass (chmod 600), which the PostgreSQL client reads.
# Arguments are passed on to tunelab run (e.g. --quiet). Watch it from a notebook:
#   await tune("digits-workers").storage(process.env.TUNELAB_STORAGE).watch()
#
#SBATCH --job-name=tunelab-digits
#SBATCH --array=0-7
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=tunelab-%A_%a.out
# Slurm sends SIGTERM this long before the time limit: tunelab run then records its running
# trials as interrupted (they don't count toward limits.trials) and stops their processes.
#SBATCH --signal=TERM@120
set -euo pipefail

: "${TUNELAB_STORAGE:?set TUNELAB_STORAGE to the PostgreSQL URL (postgresql://user@host:5432/database)}"
export TUNELAB_STORAGE
STUDY_FILE="${STUDY_FILE:-examples/workers-digits.json}"
cd "${SLURM_SUBMIT_DIR:-.}"

echo "tunelab worker ${SLURM_ARRAY_TASK_ID:-0} (array job ${SLURM_ARRAY_JOB_ID:-none}) on $(hostname): $STUDY_FILE"
exec tunelab run "$STUDY_FILE" "$@"
