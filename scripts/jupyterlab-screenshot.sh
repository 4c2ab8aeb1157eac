#!/usr/bin/env bash
# docs/jupyterlab.png: a unit briefing as JupyterLab shows it, captured by headless Chromium.
#
# Needs JupyterLab in the venv (not a dependency of briefkit: `.venv/bin/pip install jupyterlab`),
# the demo data (`make demo`) and Chromium. The committed notebook is executed into a temporary
# folder (papermill), so notebooks/ stays without outputs; JupyterLab serves that folder with
# its own temporary settings, the server is stopped at the end.
#
#   bash scripts/jupyterlab-screenshot.sh [UNIT] [PERIOD] [OUT.png]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.venv/bin"
UNIT=${1:-TP}
PERIOD=${2:-2026Q3}
OUT=${3:-$ROOT/docs/jupyterlab.png}
PORT=${PORT:-8899}
CHROMIUM=${CHROMIUM:-chromium}

WORK=$(mktemp -d)
export JUPYTER_CONFIG_DIR="$WORK/config" JUPYTER_DATA_DIR="$WORK/data"
export JUPYTER_RUNTIME_DIR="$WORK/runtime" PATH="$BIN:$PATH"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/served"

NB="$WORK/served/BC-TTHC_${UNIT}_${PERIOD}.ipynb"
"$BIN/papermill" --no-progress-bar --cwd "$ROOT/notebooks" -k python3 \
  "$ROOT/notebooks/unit_briefing.ipynb" "$NB" \
  -p data_dir "$ROOT/data/demo" -p unit_id "$UNIT" -p period "$PERIOD" \
  -p targets_file "$ROOT/params/targets.yaml" -p header_file "$ROOT/params/header.yaml" \
  >"$WORK/papermill.log" 2>&1
# Code collapsed and the introduction cell hidden, as an analyst reading the briefing would
# have it; the notebook signed, as one run in JupyterLab is (JupyterLab strips the <style> of
# untrusted outputs).
"$BIN/python" - "$NB" <<'EOF'
import sys

import nbformat

nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells = [c for c in nb.cells if "remove" not in c.metadata.get("tags", [])]
for cell in nb.cells:
    if cell.cell_type == "code":
        cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
nbformat.write(nb, sys.argv[1])
EOF
"$BIN/jupyter" trust "$NB" >/dev/null
"$BIN/jupyter" labextension disable "@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1

"$BIN/jupyter" lab --no-browser --allow-root --port "$PORT" --ServerApp.token= \
  --ServerApp.password= --ServerApp.root_dir="$WORK/served" >"$WORK/lab.log" 2>&1 &
SERVER=$!
for _ in $(seq 60); do
  curl -fs -o /dev/null "http://localhost:$PORT/lab" && break
  sleep 1
done

"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1400,2000 --virtual-time-budget=25000 --screenshot="$OUT" \
  "http://localhost:$PORT/doc/tree/$(basename "$NB")" >/dev/null 2>&1
# 128 colours: a third of the bytes, the text as sharp
"$BIN/python" -c "
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert('RGB')
image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
    sys.argv[1], optimize=True)" "$OUT"
echo "$OUT"
