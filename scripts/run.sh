#!/usr/bin/env bash
# The embedded default: upgrade the database, seed the demo once, then serve
# gunicorn (2 workers) and the Huey consumer side by side; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
export CAREOPS_PUBLIC_URL=${CAREOPS_PUBLIC_URL:-http://127.0.0.1:$PORT}

# Say so before anything starts, rather than printing a banner for a server that cannot bind.
if ! $BIN/python -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$PORT" 2>/dev/null; then
  echo "Port $PORT on 127.0.0.1 is taken: stop what uses it, or run PORT=8001 make run" >&2
  exit 1
fi

$BIN/flask --app wsgi db upgrade
$BIN/flask --app wsgi careops demo

$BIN/gunicorn -c python:careops.gunicorn_conf --workers 2 --bind "127.0.0.1:$PORT" wsgi:app &
web=$!
$BIN/flask --app wsgi careops worker &
worker=$!
stop() { kill -TERM "$web" "$worker" 2>/dev/null || true; wait "$web" "$worker" 2>/dev/null || true; }
trap stop INT TERM EXIT
# The banner once gunicorn answers, so it never announces a server that failed to start.
for _ in $(seq 1 100); do
  if $BIN/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
    echo "CareOps on http://127.0.0.1:$PORT  (API docs: http://127.0.0.1:$PORT/api/v1/docs)  Ctrl-C stops."
    break
  fi
  kill -0 "$web" 2>/dev/null || break
  sleep 0.2
done
# Whichever stops first takes the other down with it.
wait -n "$web" "$worker"
