# baocao: `make demo` runs the nightly flow over the sample inbox; `make test` runs every test.
SHELL := /bin/bash
# The interpreter the venv is made from: the distribution's own CPython (3.11 or newer, with venv) where there is one,
# else python3 on the PATH; `make PYTHON=... venv` chooses another. Debian's interpreter has libpython linked in and is
# built with profile-guided optimisation and LTO; a default source build (pyenv's here: a shared libpython, no PGO) is
# not, and the nightly run spends ~20 % more CPU on it (benchmarks/RESULTS.md). An existing .venv is kept:
# `rm -rf .venv && make venv` makes it again.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect's settings (offline, its state in var/prefect) are set by the code: flows/environment.py

.PHONY: venv demo test test-fast check bench desk-shots clean

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
	$(BIN)/baocao users list | grep -q '^demo ' || echo 'demo-steward-2020' | $(BIN)/baocao users add demo --role steward --province 12 --password-stdin
	@echo
	@echo "The steward's desk: $(BIN)/baocao desk --port 8000"
	@echo "  then open http://127.0.0.1:8000/login and sign in as demo / demo-steward-2020 (a demo account; change it: baocao users disable demo)"

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

# Not a test: ~25 min on 2 cores; writes benchmarks/RESULTS.md. BENCH_ARGS=--quick checks the script in ~3 min.
bench: venv
	mkdir -p var/prefect
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# screenshots of the desk's queue, a failure, a submission and a period (desktop and phone width) under var/desk-shots/
desk-shots: venv
	mkdir -p var/desk-shots
	BAOCAO_DESK_SHOTS=$(CURDIR)/var/desk-shots $(BIN)/python -m pytest -q tests/desk/test_desk_browser.py -k "axe and sqlite"
	ls var/desk-shots

clean:
	rm -rf var .pytest_cache
