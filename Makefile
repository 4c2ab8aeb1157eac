# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (Debian packages when missing, a .venv with briefkit and its dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PERIOD ?= 2023Q4
OUT    ?= outputs

.PHONY: setup demo test lint bench bench-batch clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

data/demo/dossiers.csv: lib/briefkit/demo.py | setup
	$(BIN)/briefkit demo-data --out data/demo

demo: setup data/demo/dossiers.csv
	$(BIN)/briefkit kpis --data data/demo --period $(PERIOD) --targets params/targets.yaml --out $(OUT)
	$(BIN)/briefkit run --data data/demo --period $(PERIOD) --targets params/targets.yaml --header params/header.yaml --out $(OUT)

test: setup
	bash scripts/test-deps.sh
	$(BIN)/ruff check lib tests data
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check lib tests data
	$(BIN)/mypy

bench: setup data/demo/dossiers.csv
	$(BIN)/python benchmarks/bench_kpis.py

# Several minutes (the naive papermill loop, the demo quarter, a 100-unit world): not in `bench`.
bench-batch: setup data/demo/dossiers.csv
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf $(OUT) data/demo
