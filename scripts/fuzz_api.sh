#!/usr/bin/env bash
# Schemathesis against a live CareOps on a fresh database (see scripts/fuzz_api.py for the options).
#   scripts/fuzz_api.sh                                   # SQLite
#   scripts/fuzz_api.sh --database-url postgresql://postgres@127.0.0.1/<empty db> --redis-url redis://127.0.0.1:6379/14
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/fuzz_api.py "$@"
