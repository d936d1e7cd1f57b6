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
.venv/bin/mypy lxbz_xl udfs
# The full 200-case LibreOffice equality proof per rubric runs by default (set LXBZ_SLOW=0 to skip it locally).
export LXBZ_SLOW=${LXBZ_SLOW:-1}
[ "$LXBZ_SLOW" = "0" ] && unset LXBZ_SLOW
status=0
.venv/bin/python -m pytest "$@" || status=$?
# xlwings Lite in real Pyodide (node); prints its own "N passed, M failed" line last. LXBZ_LITE=0 skips it.
if [[ ${LXBZ_LITE:-1} != 0 ]]; then
  bash scripts/test-lite.sh || status=$?
fi
exit "$status"
