# Two commands on a fresh machine: `make docs` and `make test`. Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export NO_MKDOCS_2_WARNING := 1

.PHONY: help setup test lint typecheck pytest docs docs-build lab sandbox lock bench soak clean

help:
	@echo "make test     set up .venv, then lint, type-check and run every test (CI runs this)"
	@echo "make docs     set up .venv, build the guide and serve it at http://127.0.0.1:8000"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make sandbox  serve the sandbox at http://127.0.0.1:12111"
	@echo "make bench    run the benchmarks; make soak runs the long reliability tests"
	@echo "make lock     refresh the pinned dependencies in requirements.lock"

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@PY=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 \
		--no-emit-package leanrails --output-file requirements.lock --upgrade --quiet
	@echo "requirements.lock refreshed; run make test"

$(BIN)/python:
	@PY=$$(scripts/find-python) || exit 1; "$$PY" -m venv $(VENV)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider

docs-build: $(STAMP)
	$(BIN)/mkdocs build --strict

docs: docs-build
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --no-livereload

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

sandbox: $(STAMP)
	$(BIN)/leanrails sandbox --host 127.0.0.1 --port 12111

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
