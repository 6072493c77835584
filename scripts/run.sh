#!/usr/bin/env bash
# The embedded default: upgrade the database, seed the demo once, then serve
# gunicorn (2 workers) and the Huey consumer side by side; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
export CAREOPS_PUBLIC_URL=${CAREOPS_PUBLIC_URL:-http://127.0.0.1:$PORT}

$BIN/flask --app wsgi db upgrade
$BIN/flask --app wsgi careops demo

$BIN/gunicorn --workers 2 --bind "127.0.0.1:$PORT" --access-logfile - wsgi:app &
web=$!
$BIN/flask --app wsgi careops worker &
worker=$!
stop() { kill -TERM "$web" "$worker" 2>/dev/null || true; wait "$web" "$worker" 2>/dev/null || true; }
trap stop INT TERM EXIT
echo "CareOps on http://127.0.0.1:$PORT  (API docs: http://127.0.0.1:$PORT/api/v1/docs)  Ctrl-C stops."
# Whichever stops first takes the other down with it.
wait -n "$web" "$worker"
