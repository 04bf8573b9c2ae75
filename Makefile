# The two commands: `make run` (install and start the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# Tests run in one process per core (pytest-xdist); PYTEST_ARGS= runs them in one.
PYTEST_ARGS ?= -n auto

.PHONY: run test lint typecheck contracts pytest bench install dev clean

run: $(VENV)/.installed
	$(BIN)/tutela demo

test: $(VENV)/.dev-installed lint typecheck contracts pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy src

contracts: $(VENV)/.dev-installed
	$(BIN)/lint-imports

pytest: $(VENV)/.dev-installed
	scripts/ensure-postgres
	scripts/ensure-chromium
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.bench-installed
	scripts/ensure-postgres
	$(BIN)/python bench/vault_throughput.py $(BENCH_ARGS)
	$(BIN)/python bench/http_load.py $(BENCH_ARGS)
	$(BIN)/python bench/rights.py $(BENCH_ARGS)
	$(BIN)/python bench/deid_tables.py $(BENCH_ARGS)
	$(BIN)/python bench/deid_quality.py $(BENCH_ARGS)
	$(BIN)/python bench/backup.py $(BENCH_ARGS)
	$(BIN)/python bench/anonymize.py $(BENCH_ARGS)

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.bench-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev,bench]'
	$(PIP) install --no-deps 'anjana>=1.2' 'pycanon>=1.3'
	touch $@ $(VENV)/.dev-installed $(VENV)/.installed

clean:
	rm -rf $(VENV) tutela-demo .pytest_cache .mypy_cache .ruff_cache
