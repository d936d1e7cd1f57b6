#!/usr/bin/env bash
# The full test suite on a fresh machine: system packages (LibreOffice, CJK fonts), venv, lint, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash scripts/install-system-deps.sh; then
  echo "[test] LibreOffice could not be installed: the tests that need it will skip and say so" >&2
fi
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check lxbz_xl udfs tests bench
.venv/bin/python -m pytest "$@"
