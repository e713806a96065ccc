# baocao: `make demo` runs the nightly flow over the sample inbox; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect's settings (offline, its state in var/prefect) are set by the code: flows/environment.py

.PHONY: venv demo test test-fast check bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: venv
	mkdir -p var/prefect
	$(BIN)/baocao run --inbox examples/inbox
	$(BIN)/baocao completeness --period 2016-2020

check: venv
	$(BIN)/baocao check ../shared/seed/000_7690d259663c1765.txt || true

# import-linter first: the layout's lines (pyproject.toml) are checked on every run, not remembered
test: venv
	mkdir -p var/prefect
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# the quick loop while working: no Prefect, LibreOffice, Chromium or PostgreSQL (under a minute)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# Not a test: ~20 min on 2 cores; writes benchmarks/RESULTS.md. BENCH_ARGS=--quick checks the script in ~3 min.
bench: venv
	mkdir -p var/prefect
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache
