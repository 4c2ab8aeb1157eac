#!/usr/bin/env bash
# Debian packages briefkit needs beyond Python: Pango for WeasyPrint (PDF); Times-metric fonts
# with Vietnamese glyphs (Liberation Serif 2 and Tinos; Debian's older fonts-liberation has
# none); poppler's pdftotext/pdfinfo/pdffonts/pdftoppm, which the tests use to read the PDFs;
# and HarfBuzz's subsetter, libharfbuzz-subset0.
#
# WeasyPrint dlopens "libharfbuzz-subset.so.0" to subset the fonts it embeds. Debian ships that
# library in its own package, apart from libharfbuzz0b (which Pango pulls in), so it is often
# missing; WeasyPrint then warns "Using fontTools instead of HarfBuzz-Subset" and subsets with
# fontTools: slower, and fontTools stamps each subset's head table with the current time
# (briefkit pins that time to the document's date, see briefkit.render.font_epoch, so the PDFs
# stay reproducible either way). Releases without that package (Debian 11, Ubuntu 22.04) skip
# it with a note.
#
# Installs only what is missing; needs root (or sudo) and the package registry when it does.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-croscore
          fontconfig poppler-utils)
optional=(libharfbuzz-subset0)
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
$sudo apt-get update -qq
install=()
for p in "${missing[@]}"; do
  if [[ " ${optional[*]} " == *" $p "* ]] && ! apt-cache show "$p" >/dev/null 2>&1; then
    echo "briefkit: $p is not available here; WeasyPrint will subset fonts with fontTools" >&2
    continue
  fi
  install+=("$p")
done
[ ${#install[@]} -eq 0 ] && exit 0
echo "briefkit: installing Debian packages: ${install[*]}"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${install[@]}" >/dev/null
