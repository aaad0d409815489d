#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and starts JupyterLab on notebooks/:
#
#   bash scripts/start.sh [extra jupyter lab arguments]      (or: npm start)
#
# Listens on 127.0.0.1 only, on the first free port from $TUNELAB_PORT (default 8888), with a
# token ($TUNELAB_TOKEN, or a random one). Ctrl-C stops the server and its kernels.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

bash "$ROOT/scripts/setup.sh"

mkdir -p "$ROOT/notebooks"

# First free port at or above the wanted one (bound and released on 127.0.0.1).
PORT="$("$VENV/bin/python" - "${TUNELAB_PORT:-8888}" <<'EOF'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 100):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit(f"no free port in {start}..{start + 99}")
EOF
)"
TOKEN="${TUNELAB_TOKEN:-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')}"
URL="http://127.0.0.1:$PORT/lab?token=$TOKEN"

args=(--no-browser --ip=127.0.0.1 --port="$PORT" --ServerApp.port_retries=0
      --IdentityProvider.token="$TOKEN" --ServerApp.root_dir="$ROOT/notebooks"
      # The Studies sidebar reads the journals in .tunelab/ folders through the contents API,
      # which refuses hidden (dot) folders unless this is set.
      --ContentsManager.allow_hidden=True)
if [[ $(id -u) == 0 ]]; then args+=(--allow-root); fi

export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" JUPYTER_PREFER_ENV_PATH=1
cd "$ROOT/notebooks"
"$VENV/bin/jupyter" lab "${args[@]}" "$@" &
LAB_PID=$!

stop_lab() {
  trap - INT TERM
  kill -TERM "$LAB_PID" 2>/dev/null || true
  wait "$LAB_PID" 2>/dev/null || true
  exit 0
}
trap stop_lab INT TERM

# Print the address once the server answers, below its start-up log.
for _ in $(seq 1 600); do
  if ! kill -0 "$LAB_PID" 2>/dev/null; then
    wait "$LAB_PID" && status=0 || status=$?
    echo "start: jupyter lab exited ($status) before it was ready" >&2
    exit "$status"
  fi
  if "$VENV/bin/python" -c "import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], headers={'Authorization': 'token ' + sys.argv[2]}), timeout=1)" \
      "http://127.0.0.1:$PORT/api/status" "$TOKEN" 2>/dev/null; then
    cat <<EOF

==============================================================================
  tunelab JupyterLab is running. Open:

      $URL

  Notebooks: $ROOT/notebooks        Stop: Ctrl-C
==============================================================================

EOF
    break
  fi
  sleep 0.2
done

wait "$LAB_PID"
