#!/usr/bin/env bash
# Install the system packages needed for real-spreadsheet recalculation and previews:
#   - LibreOffice Calc headless (soffice) to recalculate .xlsx and render PDF
#   - CJK fonts so Chinese text renders in PDF/PNG previews (no tofu boxes)
#   - poppler-utils (pdftoppm) to rasterise PDF pages to PNG
#
# Idempotent: exits quickly when everything is present. Meant for Debian 12 (bookworm) as root;
# uses sudo only when not root and sudo exists.
set -euo pipefail

PACKAGES=(
  libreoffice-calc-nogui  # Calc without the GTK/X11 UI stack: much smaller, enough for --headless
  fonts-noto-cjk          # Noto Sans/Serif CJK SC
  fonts-wqy-zenhei        # fallback CJK font commonly mapped for SimSun/宋体 lookalikes
  poppler-utils           # pdftoppm
)

log() { printf '[install-system-deps] %s\n' "$*"; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all present: ${PACKAGES[*]}"
  log "soffice: $(command -v soffice || echo 'NOT on PATH')"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  log "error: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "error: apt-get not found; install manually: ${missing[*]}" >&2
  exit 1
fi

start=$(date +%s)
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Rebuild the font cache so LibreOffice sees the CJK fonts on its first run.
if command -v fc-cache >/dev/null 2>&1; then
  "${SUDO[@]}" fc-cache -f >/dev/null 2>&1 || true
fi
log "done in $(( $(date +%s) - start ))s"
log "soffice: $(command -v soffice || echo 'NOT on PATH')"
log "pdftoppm: $(command -v pdftoppm || echo 'NOT on PATH')"
