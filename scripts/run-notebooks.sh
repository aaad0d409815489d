#!/usr/bin/env bash
# Re-executes notebooks in place in the tslab kernel, so the committed files show their outputs
# (on GitHub, too). Fails on the first cell that fails. The kernel's working directory is the
# notebook's folder: notebooks import their helpers from notebooks/lib/ and may save studies
# under notebooks/.tunelab/ (git-ignored). test/notebooks/ checks that the committed outputs
# are those of a run of the current notebook.
#
#   bash scripts/run-notebooks.sh                           # every notebook under notebooks/
#   bash scripts/run-notebooks.sh notebooks/quickstart.ipynb
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

bash "$ROOT/scripts/setup.sh"

if [[ $# -gt 0 ]]; then
  notebooks=("$@")
else
  mapfile -d '' notebooks < <(find "$ROOT/notebooks" -maxdepth 1 -name '*.ipynb' -print0 | sort -z)
fi

export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" JUPYTER_PREFER_ENV_PATH=1
for nb in "${notebooks[@]}"; do
  echo "run-notebooks: $nb" >&2
  started=$SECONDS
  # The kernel's working directory is the notebook's folder. No timing metadata, so re-running
  # an unchanged notebook changes only what its outputs print.
  "$VENV/bin/jupyter" nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.kernel_name=tslab \
    --ExecutePreprocessor.timeout=600 \
    --ExecutePreprocessor.record_timing=False \
    --log-level=WARN \
    "$nb"
  echo "run-notebooks: $nb done in $((SECONDS - started)) s, $(( $(wc -c <"$nb") / 1024 )) KiB" >&2
done
