#!/usr/bin/env bash
# Debian packages briefkit needs beyond Python: Pango for WeasyPrint (PDF); HarfBuzz's subset
# library, which WeasyPrint dlopens ("libharfbuzz-subset.so.0") to subset the embedded fonts:
# Debian ships it apart from libharfbuzz0b, and without it WeasyPrint falls back to fontTools,
# which is slower (about 0.3 s per document) and stamps each font subset with the current time;
# Times-metric fonts with Vietnamese glyphs (Liberation Serif 2 and Tinos; Debian's older
# fonts-liberation has none), and poppler's pdftotext/pdfinfo/pdffonts/pdftoppm, which the tests
# use to read the PDFs.
# Installs only what is missing; needs root (or sudo) and the package registry when it does.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-croscore fontconfig poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "briefkit: please install: ${missing[*]} (no apt-get on this system)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "briefkit: installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
