#!/usr/bin/env bash
# xlwings Lite, proven in real Pyodide: the add-in's main.py imported as Lite does, every LXBZ_* call the
# templates make replayed and compared with CPython, and the rebind_and_recalculate script run on a fake book.
#
#   bash scripts/test-lite.sh          (after scripts/setup.sh; scripts/test.sh runs it after pytest)
#
# Caches (idempotent, under .lite/, ignored by git): the `pyodide` npm package; the wheels Lite would install,
# from PyPI for Pyodide's platform (pyemscripten_2026_0_wasm32, Python 3.14): pydantic-core and xlwings are
# compiled for it there, the rest is pure Python; PyYAML has no such wheel, so a pure-Python one is packed
# from its sdist (tests/lite/pure_wheel.py). Pyodide's own package CDN is never used.
# Skips (exit 0, saying so) only when node or npm is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYODIDE_VERSION=${LXBZ_PYODIDE_VERSION:-314.0.8}
PLATFORM=pyemscripten_2026_0_wasm32   # Pyodide 314.x: Emscripten ABI 2026_0, CPython 3.14
PY_VERSION=3.14
PYYAML_VERSION=6.0.4
CACHE=${LXBZ_LITE_CACHE:-.lite}
PY=.venv/bin/python

log() { printf '[test-lite] %s\n' "$*"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "SKIPPED: node/npm not found; install Node.js >= 18 (apt-get install nodejs npm) to run the xlwings Lite test"
  exit 0
fi
[[ -x $PY ]] || { log "no $PY: run scripts/setup.sh first"; exit 2; }

start=$(date +%s)
mkdir -p "$CACHE/wheels" "$CACHE/sdist" "$CACHE/bundle"

# 1. Pyodide from the npm registry.
installed=$(node -p "try { require(require('path').resolve('$CACHE/node_modules/pyodide/package.json')).version } catch (e) { '' }")
if [[ $installed != "$PYODIDE_VERSION" ]]; then
  log "npm install pyodide@$PYODIDE_VERSION"
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save --silent "pyodide@$PYODIDE_VERSION"
fi

# 2. The dependencies' wheels for Pyodide, pinned to what this venv runs (pydantic pins pydantic-core).
pins=()
for dist in pydantic pydantic-core openpyxl defusedxml rich xlwings; do
  version=$($PY -c "from importlib.metadata import version; print(version('$dist'))")
  pins+=("$dist==$version")
done
stamp="$CACHE/wheels/.pins"
if [[ ! -f $stamp || $(cat "$stamp") != "${pins[*]}" ]]; then
  log "pip download ${pins[*]} for $PLATFORM"
  rm -f "$CACHE"/wheels/*.whl
  $PY -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    --platform "$PLATFORM" --platform any --python-version "$PY_VERSION" --implementation cp \
    --abi cp314 --abi none --dest "$CACHE/wheels" "${pins[@]}" 2>&1 | grep -v "is ignored: it is neither" || true
  echo "${pins[*]}" >"$stamp"
fi
if ! ls "$CACHE"/wheels/pyyaml-"$PYYAML_VERSION"-py3-none-any.whl >/dev/null 2>&1; then
  $PY -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
    --dest "$CACHE/sdist" "pyyaml==$PYYAML_VERSION" 2>&1 | grep -v "is ignored: it is neither" || true
  $PY tests/lite/pure_wheel.py "$CACHE/sdist/pyyaml-$PYYAML_VERSION.tar.gz" "$CACHE/wheels" >/dev/null
fi
for needed in pydantic_core xlwings pyyaml; do
  ls "$CACHE"/wheels/"$needed"-*.whl >/dev/null 2>&1 || { log "missing wheel for $needed in $CACHE/wheels"; exit 1; }
done

# 3. The add-in bundle exactly as `lxbz excel lite` builds it (wheel, main.py, requirements.txt).
rm -f "$CACHE"/bundle/*.whl
.venv/bin/lxbz excel lite --out "$CACHE/bundle" >"$CACHE/bundle.log" || { cat "$CACHE/bundle.log"; exit 1; }

# 4. CPython records every LXBZ_* call of the templates; 5. Pyodide replays them and runs the script.
$PY tests/lite/record.py "$CACHE/calls.json"
log "prepared in $(( $(date +%s) - start ))s"
node tests/lite/run.mjs "$CACHE/node_modules/pyodide" "$CACHE/bundle" "$CACHE/calls.json" workbook_templates "$CACHE/wheels"
