# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= 2026-06-01
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck servers bench compile clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/fhir-eligibility trials
	$(BIN)/fhir-eligibility evaluate sample_bundles/ --as-of $(AS_OF)
	$(BIN)/fhir-eligibility evaluate sample_bundles/ --as-of $(AS_OF) --assume-attested

servers:
	bash servers/medplum/install.sh
	bash servers/sekmet/install.sh

lint: setup
	$(BIN)/ruff check fhir_eligibility tests tools benchmarks
	$(BIN)/mypy

test: setup servers lint
	$(BIN)/python -m pytest -q

# The pure core compiled with mypyc into build/fast (about 2x faster); use it with PYTHONPATH=build/fast.
compile: setup
	$(BIN)/python tools/compile_engine.py

bench: setup servers compile
	$(BIN)/python benchmarks/bench_files.py --patients 1000
	$(BIN)/python benchmarks/bench_server.py --patients 200
	$(BIN)/python benchmarks/bench_cds.py --requests 300
	$(BIN)/python benchmarks/bench_screen.py
	PYTHONPATH=build/fast $(BIN)/python benchmarks/bench_screen.py

clean:
	rm -rf $(VENV) servers/medplum/node_modules servers/sekmet/.venv .pytest_cache .mypy_cache .ruff_cache
