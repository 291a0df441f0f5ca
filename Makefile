# Two commands matter: `make run` and `make test` (see README.md).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check --no-cache-dir -q
UVFLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --find-links /opt/wheels

.PHONY: run example test lint typecheck pytest lock clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# The lock files are complete (every dependency pinned with hashes), so pip installs them
# with --no-deps: it then resolves nothing itself (the venv's own pip, 23.x, once re-resolved
# an extra of a locked package against the index and failed on a newer release), and
# `pip check` proves the set is whole.
$(VENV)/.main: requirements/main.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r requirements/main.txt
	$(PIP) --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

$(VENV)/.dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r requirements/dev.txt
	$(PIP) --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@ $(VENV)/.main

## run: install from the lock and start the gateway (aisec up --demo) on embedded defaults
## (SQLite, local keys, a local echo upstream); Ctrl-C stops it
run: $(VENV)/.main
	$(BIN)/aisec init
	$(BIN)/aisec up --demo

## example: assess the insecure example project (scan, guard, encrypt, audit), then exit
example: $(VENV)/.main
	AISEC=$(CURDIR)/$(BIN)/aisec PATH=$(CURDIR)/$(BIN):$$PATH bash examples/insecure-project/assess.sh

## test: lint, type check and the whole test suite
test: $(VENV)/.dev lint typecheck pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev
	$(BIN)/mypy

pytest: $(VENV)/.dev
	$(BIN)/pytest -q -n 2 --durations=10 tests

## lock: regenerate the hash-pinned lock files (needs uv: pip install uv)
lock:
	uv pip compile pyproject.toml requirements/build.in $(UVFLAGS) -o requirements/main.txt
	uv pip compile pyproject.toml requirements/build.in requirements/dev.in $(UVFLAGS) -o requirements/dev.txt

clean:
	rm -rf $(VENV) .aisec
