# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
AS_OF ?= 2026-06-01
STAMP := $(VENV)/.installed
# what a user gets from `pip install .`: the evaluation core compiled with mypyc (setup.py); the
# development venv above is an editable install, which stays pure Python so edits take effect
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed

.PHONY: setup demo test lint typecheck servers bench compile clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $(STAMP)

setup: $(STAMP)

$(DEMO_STAMP): pyproject.toml setup.py tools/compile_engine.py $(shell find fhir_eligibility -name '*.py')
	$(PY) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install -q --upgrade pip
	$(DEMO_VENV)/bin/pip install -q .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/fhir-eligibility trials
	$(DEMO_VENV)/bin/fhir-eligibility evaluate sample_bundles/ --as-of $(AS_OF)
	$(DEMO_VENV)/bin/fhir-eligibility evaluate sample_bundles/ --as-of $(AS_OF) --assume-attested

servers:
	bash servers/medplum/install.sh
	bash servers/sekmet/install.sh

lint: setup
	$(BIN)/ruff check fhir_eligibility tests tools benchmarks
	$(BIN)/mypy

test: setup servers lint
	$(BIN)/python -m pytest -q

# A compiled copy of the sources in build/fast, for comparisons (PYTHONPATH=build/fast); `pip install .` compiles by itself.
compile: setup
	$(BIN)/python tools/compile_engine.py

# BASE=<commit>: also run the screening benchmark on that commit (a worktree in /tmp), side by side
bench: setup servers $(DEMO_STAMP)
	$(DEMO_VENV)/bin/python benchmarks/bench_files.py --patients 1000
	$(BIN)/python benchmarks/bench_server.py --patients 200
	$(BIN)/python benchmarks/bench_cds.py --requests 300
	$(if $(BASE),rm -rf /tmp/fhir-eligibility-base; git worktree add -f --detach /tmp/fhir-eligibility-base $(BASE))
	$(BIN)/python benchmarks/bench_screen.py $(if $(BASE),--side before=$(BIN)/python:/tmp/fhir-eligibility-base) \
		--side pure=$(BIN)/python --side installed=$(DEMO_VENV)/bin/python

clean:
	rm -rf $(VENV) $(DEMO_VENV) build servers/medplum/node_modules servers/sekmet/.venv .pytest_cache .mypy_cache .ruff_cache
