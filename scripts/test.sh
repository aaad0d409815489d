#!/usr/bin/env bash
# The project's test command (npm test): installs what the tests need, Chromium and PostgreSQL
# included (skipped when present), then runs vitest. Arguments go to vitest:
#
#   bash scripts/test.sh                       # everything
#   bash scripts/test.sh test/helpers -t lab   # a subset
#
# Exits with vitest's exit code, so the output ends with vitest's summary.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --with-browser --with-postgres

status=0
npx --no-install vitest run "$@" || status=$?
exit "$status"
