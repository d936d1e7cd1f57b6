#!/usr/bin/env bash
# The main job, end to end: build the templates, fill a city's submissions, validate them, write the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh || echo "[demo] LibreOffice unavailable: previews are skipped" >&2
bash scripts/setup.sh
.venv/bin/lxbz demo --out "${1:-lxbz-demo}"
