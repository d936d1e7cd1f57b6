#!/usr/bin/env bash
# Create .venv and install lxbz-xl with its development extras. Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
echo "[setup] lxbz-xl installed in .venv ($(.venv/bin/python --version))"
