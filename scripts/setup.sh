#!/usr/bin/env bash
# Installs everything tunelab needs to build, run notebooks and test, from a fresh clone.
# Idempotent: each step checks a stamp and is skipped when nothing changed, so a second run
# takes a second or two.
#
#   bash scripts/setup.sh [--with-browser] [--with-postgres] [--force] [--skip-build] [--help]
#
#   --with-browser   also install Debian's chromium (apt-get) when /usr/bin/chromium is missing
#   --with-postgres  also install Debian's postgresql (apt-get) when initdb, pg_ctl or psql is missing
#                    (the tests start throwaway clusters; no system cluster is created)
#   --force          ignore the stamps and redo the npm, build, venv and kernelspec steps
#   --skip-build     don't run tsc (tooling only, e.g. while src/ doesn't compile)
#
# Environment: PYTHON (interpreter for the venv, default python3).
# Steps print one line each to stderr; installer output goes to a log file that is shown
# (its tail) when a step fails.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
LOG_DIR="${TMPDIR:-/tmp}/tunelab-setup-logs"
WITH_BROWSER=0
WITH_POSTGRES=0
FORCE=0
SKIP_BUILD=0
STEP="starting"
APT_UPDATED=0

for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    --with-postgres) WITH_POSTGRES=1 ;;
    --force) FORCE=1 ;;
    --skip-build) SKIP_BUILD=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }

on_error() {
  local status=$?
  echo "setup: FAILED at step '$STEP' (exit $status)" >&2
  exit "$status"
}
trap on_error ERR

# run_logged NAME CMD... : runs CMD with its output in $LOG_DIR/NAME.log; on failure prints the
# log's tail to stderr and fails (the ERR trap names the step).
run_logged() {
  local name="$1"; shift
  mkdir -p "$LOG_DIR"
  local log="$LOG_DIR/$name.log"
  if ! "$@" >"$log" 2>&1; then
    echo "setup: '$*' failed; last lines of $log:" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    return 1
  fi
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
stamp_matches() { [[ $FORCE == 0 && -f "$1" && "$(cat "$1")" == "$2" ]]; }

# --- node packages -------------------------------------------------------------------------
install_node_modules() {
  STEP="npm install"
  command -v node >/dev/null || { say "node is not on PATH (Node >= 20 is required)"; return 1; }
  command -v npm >/dev/null || { say "npm is not on PATH"; return 1; }
  local stamp="$ROOT/node_modules/.tunelab-stamp" want
  if [[ -f "$ROOT/package-lock.json" ]]; then
    want="lock:$(hash_of "$ROOT/package-lock.json") node:$(node -p 'process.versions.node.split(".")[0]')"
  else
    want="pkg:$(hash_of "$ROOT/package.json") node:$(node -p 'process.versions.node.split(".")[0]')"
  fi
  if stamp_matches "$stamp" "$want" && [[ -d "$ROOT/node_modules/.bin" ]]; then
    say "node_modules up to date"
    return 0
  fi
  # Our self-link must not be there while npm rearranges node_modules.
  if [[ -L "$ROOT/node_modules/tunelab" ]]; then rm -f "$ROOT/node_modules/tunelab"; fi
  # A fresh clone gets exactly the lockfile (npm ci). An existing node_modules is brought up
  # to date in place (npm install) rather than wiped, so a working tree isn't disturbed.
  if [[ -f "$ROOT/package-lock.json" && ! -d "$ROOT/node_modules" ]]; then
    say "npm ci ..."
    run_logged npm npm ci --no-audit --no-fund
  else
    say "npm install ..."
    run_logged npm npm install --no-audit --no-fund
  fi
  echo "$want" >"$stamp"
}

# --- build (tsc -> dist/) ------------------------------------------------------------------
build_dist() {
  STEP="npm run build"
  local stamp="$ROOT/dist/.tunelab-build-stamp" want
  want="$({ find src -type f -print0 | sort -z | xargs -0 sha256sum
            sha256sum tsconfig.json package.json; } | sha256sum | cut -d' ' -f1)"
  if stamp_matches "$stamp" "$want" && [[ -f "$ROOT/dist/index.js" ]]; then
    say "dist/ up to date"
    return 0
  fi
  say "building dist/ (tsc) ..."
  rm -rf "$ROOT/dist"   # so files removed from src/ don't linger in dist/
  run_logged build npm run build --silent
  echo "$want" >"$stamp"
}

# Lets notebooks (and anything else under the repo) `import ... from "tunelab"`: Node's
# resolution walks up to <repo>/node_modules/tunelab, which is the repo itself (package.json
# main/types point at dist/).
link_self() {
  STEP="link node_modules/tunelab"
  if [[ "$(readlink "$ROOT/node_modules/tunelab" 2>/dev/null || true)" != ".." ]]; then
    rm -rf "$ROOT/node_modules/tunelab"
    ln -s .. "$ROOT/node_modules/tunelab"
    say "linked node_modules/tunelab -> .."
  fi
}

# --- Python venv with JupyterLab -----------------------------------------------------------
setup_venv() {
  STEP="python venv"
  command -v "$PYTHON" >/dev/null || { say "'$PYTHON' not found (Python >= 3.9 is required)"; return 1; }
  local stamp="$VENV/.tunelab-stamp" want
  want="req:$(hash_of "$ROOT/requirements.txt") py:$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
  if stamp_matches "$stamp" "$want" && "$VENV/bin/python" -c 'import jupyterlab' 2>/dev/null; then
    say ".venv up to date"
    return 0
  fi
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    say "creating .venv with $PYTHON ..."
    rm -rf "$VENV"
    run_logged venv "$PYTHON" -m venv "$VENV"
  fi
  STEP="pip install -r requirements.txt"
  say "installing Python requirements into .venv ..."
  run_logged pip "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$ROOT/requirements.txt"
  echo "$want" >"$stamp"
}

# Registers the tslab kernelspec inside the venv. The kernel runs a small wrapper that names
# node and tslab by absolute path, so it works whatever PATH the Jupyter front end has.
install_kernelspec() {
  STEP="tslab kernelspec"
  local wrapper="$VENV/bin/tslab-kernel" node_bin tslab_js content spec
  node_bin="$(command -v node)"
  tslab_js="$ROOT/node_modules/tslab/bin/tslab"
  [[ -f "$tslab_js" ]] || { say "$tslab_js is missing (npm install incomplete?)"; return 1; }
  content="#!/bin/sh
# Written by scripts/setup.sh: starts the project's tslab with a fixed node.
exec \"$node_bin\" \"$tslab_js\" \"\$@\""
  if [[ ! -f "$wrapper" || "$(cat "$wrapper")" != "$content" ]]; then
    printf '%s\n' "$content" >"$wrapper"
    chmod +x "$wrapper"
  fi
  spec="$VENV/share/jupyter/kernels/tslab/kernel.json"
  if [[ $FORCE == 0 && -f "$spec" ]] && grep -qF "\"$wrapper\"" "$spec"; then
    say "tslab kernelspec up to date"
    return 0
  fi
  say "registering the tslab kernelspec in .venv ..."
  run_logged kernelspec "$node_bin" "$tslab_js" install \
    --python="$VENV/bin/python" --prefix="$VENV" --binary="$wrapper"
}

# JupyterLab settings defaults for this venv: no news / update toast (it would cover
# screenshots and ask the user a question on first start).
write_lab_settings() {
  STEP="JupyterLab settings overrides"
  local dir="$VENV/share/jupyter/lab/settings" content
  content='{
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}'
  mkdir -p "$dir"
  if [[ ! -f "$dir/overrides.json" || "$(cat "$dir/overrides.json")" != "$content" ]]; then
    printf '%s\n' "$content" >"$dir/overrides.json"
  fi
}

# ===================== HOOK: JupyterLab extension build ======================================
# Builds extension/ (tunelab's JupyterLab renderer) into a prebuilt labextension and links it into
# the venv's JupyterLab (DESIGN.md section 4). Offline and about 3 s: tsc compiles extension/src
# (with the src/ modules it imports) to extension/lib, then @jupyter/builder's rspack bundles it
# into extension/labextension against the core metadata in node_modules/@jupyterlab/core-meta.
# Skipped when its sources (extension/, style/, and the src/ modules the browser code may import:
# views, model, space, util, record) and the lockfile are unchanged since the last build.
# Installing = a symlink $VENV/share/jupyter/labextensions/<name> -> extension/labextension, so a
# rebuild is live on the next page load; `jupyter labextension list` shows it enabled.
build_extension() {
  STEP="extension build"
  local ext="$ROOT/extension" out="$ROOT/extension/labextension" stamp want name dest target
  if [[ ! -f "$ext/package.json" ]]; then
    return 0
  fi
  stamp="$out/.tunelab-build-stamp"
  want="$(cd "$ROOT" && { find extension/src extension/schema style src/views src/model src/space src/util src/record -type f -print0 \
            | sort -z | xargs -0 sha256sum
          sha256sum extension/package.json extension/tsconfig.json package-lock.json; } | sha256sum | cut -d' ' -f1)"
  if stamp_matches "$stamp" "$want" && [[ -f "$out/package.json" ]] && grep -q '"_build"' "$out/package.json"; then
    say "extension up to date"
  else
    say "building the JupyterLab extension (extension/ -> extension/labextension) ..."
    rm -rf "$ext/lib"
    STEP="extension build (tsc)"
    run_logged extension-tsc node "$ROOT/node_modules/typescript/bin/tsc" -p "$ext/tsconfig.json"
    STEP="extension build (@jupyter/builder)"
    run_logged extension-bundle node "$ROOT/node_modules/@jupyter/builder/lib/build-labextension.js" \
      --core-package-file "$ROOT/node_modules/@jupyterlab/core-meta/core.package.json" "$ext"
    echo "$want" >"$stamp"
  fi

  STEP="extension install"
  name="$(node -p 'require(process.argv[1]).name' "$ext/package.json")"
  dest="$VENV/share/jupyter/labextensions/$name"
  # Relative, so the link survives moving the checkout.
  target="$("$VENV/bin/python" -c 'import os, sys; print(os.path.relpath(sys.argv[1], os.path.dirname(sys.argv[2])))' "$out" "$dest")"
  if [[ -L "$dest" && "$(readlink "$dest")" == "$target" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  ln -s "$target" "$dest"
  say "installed the extension: $dest -> $target"
}
# =============================================================================================

# --- system packages (apt) -----------------------------------------------------------------
apt_get() {
  local sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { say "apt-get needs root (or sudo)"; return 1; }
    sudo=(sudo)
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -q -y \
    -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 "$@"
}

apt_install() {
  command -v apt-get >/dev/null || { say "apt-get not found: install $* by hand"; return 1; }
  if [[ $APT_UPDATED == 0 ]]; then
    say "apt-get update ..."
    run_logged apt-update apt_get update
    APT_UPDATED=1
  fi
  say "apt-get install $* ..."
  run_logged "apt-install" apt_get install --no-install-recommends "$@"
}

ensure_chromium() {
  STEP="install chromium"
  if [[ -x /usr/bin/chromium ]]; then
    say "chromium present"
    return 0
  fi
  apt_install chromium fonts-liberation
}

# What the PostgreSQL tests run (test/helpers/postgres.ts): initdb, pg_ctl and postgres of Debian's
# server package, and psql; as root they run as the `postgres` user (runuser, util-linux).
postgres_present() {
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    && compgen -G "/usr/lib/postgresql/*/bin/psql" >/dev/null && id postgres >/dev/null 2>&1
}

ensure_postgres() {
  STEP="install postgresql"
  if postgres_present; then
    say "postgresql present"
    return 0
  fi
  # The tests start throwaway clusters of their own: tell postgresql-common (installed first,
  # alone) not to create and start the system's main cluster, which would only hold a port
  # and memory on a test machine.
  apt_install postgresql-common
  local conf=/etc/postgresql-common/createcluster.conf
  if [[ -f "$conf" ]] && ! grep -q '^create_main_cluster *= *false' "$conf"; then
    local sudo=()
    [[ $(id -u) != 0 ]] && sudo=(sudo)
    "${sudo[@]}" sed -i 's/^#\{0,1\} *create_main_cluster *=.*/create_main_cluster = false/' "$conf"
    grep -q '^create_main_cluster' "$conf" || echo 'create_main_cluster = false' | "${sudo[@]}" tee -a "$conf" >/dev/null
  fi
  apt_install postgresql
  postgres_present || { say "postgresql was installed, but initdb, pg_ctl or psql is missing under /usr/lib/postgresql/*/bin"; return 1; }
}

main() {
  local t0=$SECONDS
  cd "$ROOT"
  if [[ $WITH_BROWSER == 1 ]]; then ensure_chromium; fi
  if [[ $WITH_POSTGRES == 1 ]]; then ensure_postgres; fi
  install_node_modules
  link_self
  if [[ $SKIP_BUILD == 0 ]]; then build_dist; fi
  setup_venv
  install_kernelspec
  write_lab_settings
  build_extension
  STEP="done"
  say "ready in $((SECONDS - t0)) s"
}

main
