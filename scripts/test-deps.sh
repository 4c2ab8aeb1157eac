#!/usr/bin/env bash
# Debian packages only the tests need: LibreOffice Calc without its GUI, which prints the
# Excel annex to PDF the way a clerk prints it (tests/test_annex_print.py). Installs only
# what is missing; needs root (or sudo) and the package registry when it does.
set -euo pipefail
command -v soffice >/dev/null && exit 0
if ! command -v apt-get >/dev/null; then
  echo "briefkit: please install LibreOffice Calc for tests/test_annex_print.py" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
echo "briefkit: installing Debian packages for the tests: libreoffice-calc-nogui"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  libreoffice-calc-nogui >/dev/null
