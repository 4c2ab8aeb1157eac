# The two commands of the README: `make demo` and `make test`. Both set everything up first
# (Debian packages when missing, a .venv with briefkit and its dependencies).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PERIOD ?= 2026Q3
OUT    ?= outputs

.PHONY: setup strip-outputs demo test lint bench bench-batch bench-units bench-scale \
        bench-national bench-xlsx clean

setup: $(VENV)/.installed
	@$(MAKE) --no-print-directory strip-outputs

$(VENV)/.installed: pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Notebooks are committed without outputs: nbstripout is the git filter of *.ipynb
# (.gitattributes names it; the commands it runs go into .git/config, here). Cell ids are kept
# (--keep-id, which `nbstripout --install` does not record). Idempotent; nothing outside a
# git work tree (an unpacked sdist).
strip-outputs: $(VENV)/.installed
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.clean '"$(CURDIR)/$(BIN)/python" -m nbstripout --keep-id' && \
	  git config diff.ipynb.textconv '"$(CURDIR)/$(BIN)/python" -m nbstripout --keep-id -t'; \
	fi

# The demo province (briefkit demo-data; `--world district` for the district of 2021-2023):
# regenerated when the generator or its world data change.
DEMO_SOURCES := $(wildcard lib/briefkit/demo/*.py lib/briefkit/resources/demo/*.yaml \
                          lib/briefkit/resources/demo/*/*)
data/demo/dossiers.csv: $(DEMO_SOURCES) | setup
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

# The benchmarks run on the demo district (their figures stay comparable with earlier runs).
data/demo-district/dossiers.csv: $(DEMO_SOURCES) | setup
	$(BIN)/briefkit demo-data --world district --out data/demo-district

bench: setup data/demo-district/dossiers.csv
	$(BIN)/python benchmarks/bench_kpis.py

# Several minutes (the naive papermill loop, the demo quarter, a 100-unit world): not in `bench`.
bench-batch: setup data/demo-district/dossiers.csv
	$(BIN)/python benchmarks/bench_batch.py

# A few minutes: one briefing's costs (execute, render, the four charts), each round a fresh
# process, beside a baseline revision when BASELINE=<git revision> is given (alternating);
# QUARTER=1 also times the whole period's `briefkit run --force` in each round.
BASELINE ?=
QUARTER ?=
bench-units: setup data/demo-district/dossiers.csv
	$(BIN)/python benchmarks/bench_units.py $(if $(BASELINE),--baseline $(BASELINE)) \
	  $(if $(QUARTER),--quarter)

# Many minutes (the demo province at 1 M and 10 M dossiers, generated once into
# ~/.cache/briefkit-bench/, read from CSV and from Parquet, DuckDB as the yardstick): not in
# `bench`. Options through SCALE_ARGS, e.g. SCALE_ARGS="--quick" (100 k, under a minute).
SCALE_ARGS ?=
bench-scale: setup
	$(BIN)/python benchmarks/bench_scale.py $(SCALE_ARGS)

# Many minutes (the demo province cloned into converted provinces of 100 k and 1 M dossiers in
# ~/.cache/briefkit-bench/, LocalClusters of 1 and 2 workers, 34 provinces for the driver): not
# in `bench`. Options through NATIONAL_ARGS, e.g. NATIONAL_ARGS="--national-dossiers 60e6".
NATIONAL_ARGS ?=
bench-national: setup
	$(BIN)/python benchmarks/bench_national.py $(NATIONAL_ARGS)

# A minute or two (the demo province's 100 k dossiers as a workbook, written once into
# ~/.cache/briefkit-bench/; read by openpyxl's reader and by python-calamine's, each in a fresh
# process): not in `bench`. Options through XLSX_ARGS, e.g. XLSX_ARGS="--repeat 3".
XLSX_ARGS ?=
bench-xlsx: setup
	$(BIN)/python benchmarks/bench_xlsx.py $(XLSX_ARGS)

clean:
	rm -rf $(OUT) data/demo data/demo-district
