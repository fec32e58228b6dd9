# Two commands on a fresh machine: `make docs` and `make test`. Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export NO_MKDOCS_2_WARNING := 1

.PHONY: help setup browser axe postgres lock-keep test side-checks test-fast test-py311 test-lowest lint typecheck pytest notebooks docs docs-port docs-build lab nb-normalize sandbox lock bench soak screenshots clean

help:
	@echo "make test     set up .venv, then lint, type-check and run every test (CI runs this)"
	@echo "make test-fast  the inner loop: the tests without browser, lab, docs or slow ones"
	@echo "make notebooks  the guide under strict nbval (one: NB=notebooks/01_quickstart.ipynb)"
	@echo "make docs     set up .venv, build the guide and serve it at http://127.0.0.1:8000 (DOCS_PORT)"
	@echo "make lab      JupyterLab on the guide's notebooks (the first line printed is the URL)"
	@echo "make nb-normalize  strip volatile metadata from notebooks/*.ipynb, keeping outputs"
	@echo "make sandbox  serve the sandbox at http://127.0.0.1:12111"
	@echo "make bench    run the benchmarks; make soak runs the long reliability tests"
	@echo "make lock     refresh the pinned dependencies in requirements.lock"

# JupyterLab's settings for this venv: no news pop-up, no update check (both call the internet).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

# In a git clone, the notebooks' clean filter (.gitattributes): a guide notebook run and saved
# in JupyterLab, with only fresh ids and times in its outputs, leaves git status clean.
NB_FILTER := filter.leanrails-notebook.clean
setup: $(STAMP) $(LAB_OVERRIDES)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && \
		[ "$$(git config $(NB_FILTER))" != "scripts/notebook_clean_filter.py %f" ]; then \
		git config $(NB_FILTER) "scripts/notebook_clean_filter.py %f" || true; fi

$(LAB_OVERRIDES): scripts/jupyterlab-overrides.json $(STAMP)
	@mkdir -p $(@D)
	cp $< $@

$(STAMP): requirements.lock pyproject.toml
	@PY=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$PY"; "$$PY" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

# The dependencies' bytecode, compiled once for the commands people run (docs, lab, sandbox),
# which PYTHONDONTWRITEBYTECODE would otherwise have compile them at every start. The test
# runs skip it (PYTHONPYCACHEPREFIX set): they keep their own under .venv/.cache (RUN_DATA).
# A file that is not Python 3 (a few packages ship some) stays uncompiled, as uv leaves it.
BYTECODE := $(VENV)/.bytecode
$(BYTECODE): $(STAMP)
	@if [ -z "$$PYTHONPYCACHEPREFIX" ]; then \
		$(BIN)/python -m compileall -q -j 0 \
			"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
			>/dev/null 2>&1; touch $@; fi

# Every extra and every dependency group (PEP 735), pinned for Python 3.12. `make lock` upgrades every pin;
# after editing pyproject, `make lock-keep` adds what is new and keeps the other pins.
LOCK_ARGS := pyproject.toml --all-extras --group test --group typing --group docs --group browser \
	--python-version 3.12 \
	--no-emit-package leanrails --output-file requirements.lock --quiet

lock-keep: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile $(LOCK_ARGS)

lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile $(LOCK_ARGS) --upgrade
	@echo "requirements.lock refreshed; run make test"

$(BIN)/python:
	@PY=$$(scripts/find-python) || exit 1; "$$PY" -m venv $(VENV)

# Every check, the independent ones at once, each one's output shown whole when it ends, so a
# failure reads as in a sequential run. pytest is the longest and keeps the cores busy; the
# others run at a lower priority (nice), on what it leaves idle while it waits (on servers,
# kernels, browsers), instead of slowing it at its start. Two fresh clones of one commit on
# 2 cores, back to back: 306 s, and 327 s with all six at the same priority.
test: setup browser axe postgres
	@echo "lint, typecheck, pytest, notebooks, test-py311 and test-lowest run at once;" \
		"each one's output appears when it ends"
	@$(MAKE) --no-print-directory --keep-going -j2 --output-sync=target pytest side-checks

# The checks beside pytest, five at once: on a jobserver of their own (the shared one would
# give them the one slot pytest leaves), so its flags are dropped, and the others kept.
OWN_JOBS = env MAKEFLAGS="$(filter-out -j% --jobserver-auth=% --jobserver-fds=%,$(MAKEFLAGS))"
side-checks:
	@nice -n 10 $(OWN_JOBS) $(MAKE) --no-print-directory --keep-going -j5 --output-sync=target \
		lint typecheck notebooks test-py311 test-lowest

# The browser tests need a Chromium: one already on the machine, else Debian's chromium (as
# root with apt), else Playwright's own download; otherwise one line says what to run.
browser: $(STAMP)
	@PYTHONPATH=tests $(BIN)/python -m _support.browser ensure

# The accessibility tests inject axe-core (npm, pinned) into the test browser: installed into
# the venv, or one line says what is missing.
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
axe: $(STAMP)
	@if [ -f $(AXE) ] && grep -q '"version": "$(AXE_VERSION)"' $(VENV)/axe/node_modules/axe-core/package.json; then :; \
	elif command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION); \
	else echo "error: npm is missing: install Node.js and npm (the accessibility tests load axe-core $(AXE_VERSION) from npm), then run make test again" >&2; exit 1; fi

# The store tests run on a throwaway PostgreSQL that pytest starts and stops: its server
# programs already here, else Debian's postgresql (as root with apt); otherwise one line says
# what to run (or set LEANRAILS_TEST_POSTGRES_URL to a disposable database).
postgres: $(STAMP)
	@PYTHONPATH=tests $(BIN)/python -m _support.postgres ensure

# A test run leaves the work tree as it found it: bytecode goes under .venv, and the run's data
# (coverage, hypothesis's storage, the reliability counts) to a new temporary folder; to keep
# the counts elsewhere: make test LEANRAILS_TEST_RESULTS=benchmarks/results
# Bytecode is written there even where PYTHONDONTWRITEBYTECODE is set: without it, each of the
# run's hundreds of Python subprocesses (servers, kernels, builds) compiles every module it
# imports again, about twice the CPU time of its start.
# The tests never see a live key: one in the environment would send them to a live server.
PYCACHE := $(CURDIR)/$(VENV)/.cache/pycache
RUN_DATA = run=$$(mktemp -d -t leanrails-$@-XXXXXX) && unset PYTHONDONTWRITEBYTECODE && \
	export PYTHONPYCACHEPREFIX=$(PYCACHE) COVERAGE_FILE=$$run/coverage \
		HYPOTHESIS_STORAGE_DIRECTORY=$$run/hypothesis \
		LEANRAILS_TEST_RESULTS=$${LEANRAILS_TEST_RESULTS:-$$run}
NO_LIVE_KEY := env -u LEANRAILS_API_KEY -u LEANRAILS_BASE_URL

# The tests, four at a time (pytest-xdist; the tests of a module marked xdist_group stay on one
# worker, as they share module-scoped fixtures), with coverage of the package; the libraries
# the tests import are imported before coverage starts (tests/_support/untraced.py).
pytest: setup browser axe postgres
	@$(RUN_DATA) && echo "this run's data: $$run" && \
	$(NO_LIVE_KEY) $(BIN)/python -m pytest -p no:cacheprovider -p tests._support.untraced \
		-n 4 --dist loadgroup --no-loadscope-reorder \
		--cov --cov-report=term:skip-covered --durations=15 tests

# The guide's notebooks, each re-executed in a kernel and compared output by output with the
# committed one (strict nbval, never --nbval-lax), one notebook after another in one process
# (beside the main steps, which keep both cores busy, workers of its own cost more CPU).
# Apart from pytest: pytest-cov's measurement of subprocesses stops nbval's kernels starting.
# One notebook: make notebooks NB=notebooks/01_quickstart.ipynb
NBVAL := -p nbval --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
NB ?= notebooks
notebooks: setup
	@$(RUN_DATA) && \
	$(NO_LIVE_KEY) $(BIN)/python -m pytest -p no:cacheprovider $(NBVAL) $(NB)

# The inner loop: no browser, no JupyterLab or kernel, no docs, nothing slow, no notebooks,
# no coverage. make test still runs everything.
FAST := not browser and not lab and not docs and not slow
test-fast: $(STAMP)
	@$(RUN_DATA) && \
	$(NO_LIVE_KEY) $(BIN)/python -m pytest -p no:cacheprovider -q -n 2 -m "$(FAST)" tests

# The package's own tests, on a venv of its runtime dependencies, its server and lab extras and
# the test tools only: on the oldest supported Python (test-py311), and on the lowest versions
# pyproject.toml's bounds allow, every direct dependency at its floor (test-lowest), where the
# server's bounds (uvicorn's and h11's internals) and a pickled ValidationError are tried too.
PACKAGE_TESTS := tests/test_params.py tests/test_session.py tests/test_types.py \
	tests/test_openapi.py tests/test_client.py tests/test_errors.py tests/test_retry.py \
	tests/test_curl.py tests/test_sandbox_client.py tests/test_sandbox_json.py \
	tests/test_idempotency.py tests/test_serve.py tests/test_explore.py
LOWEST_TESTS := $(PACKAGE_TESTS) tests/test_sandbox_bounds.py \
	tests/reliability/test_parity.py::test_the_client_error_pickles_with_its_param_and_code
PACKAGE_TOOLS := pytest pytest-timeout pytest-xdist filelock psutil hypothesis hypothesis-jsonschema jsonschema \
	openapi-spec-validator rfc3986-validator
empty :=
space := $(empty) $(empty)
TOOL_PINS := grep -E '^($(subst $(space),|,$(PACKAGE_TOOLS)))==' requirements.lock
# One process each: they run beside the main steps, which already keep both cores busy.
PACKAGE_PYTEST = $(NO_LIVE_KEY) $(1)/bin/python -m pytest -p no:cacheprovider -q $(2)

test-py311: $(STAMP) postgres
	@PY=$$(command -v python3.11 2>/dev/null) && "$$PY" -c 'import sys' 2>/dev/null \
		|| { echo "test-py311: no python3.11 here; the package's 3.11 check did not run"; exit 0; }; \
	$(BIN)/uv venv --quiet --allow-existing --python "$$PY" .venv-py311 && \
	$(BIN)/uv pip install --quiet --python .venv-py311/bin/python -c requirements.lock \
		-e '.[server,lab,postgres]' $(PACKAGE_TOOLS) && \
	$(RUN_DATA) && $(call PACKAGE_PYTEST,.venv-py311,$(PACKAGE_TESTS))

test-lowest: $(STAMP) postgres
	@$(BIN)/uv venv --quiet --allow-existing --python $(BIN)/python .venv-lowest && \
	$(TOOL_PINS) > .venv-lowest/tools.txt && \
	$(BIN)/uv pip compile --quiet --upgrade --resolution lowest-direct --python .venv-lowest/bin/python \
		pyproject.toml --extra server --extra lab --extra postgres .venv-lowest/tools.txt \
		--no-emit-package leanrails --output-file .venv-lowest/requirements.txt && \
	$(BIN)/uv pip sync --quiet --python .venv-lowest/bin/python .venv-lowest/requirements.txt && \
	$(BIN)/uv pip install --quiet --python .venv-lowest/bin/python --no-deps -e . && \
	echo "test-lowest: $$(grep -E '^(anyio|email-validator|h11|httpx2|ipywidgets|jiter|psycopg|pydantic|pyyaml|uvicorn)==' \
		.venv-lowest/requirements.txt | tr '\n' ' ')" && \
	$(RUN_DATA) && $(call PACKAGE_PYTEST,.venv-lowest,$(LOWEST_TESTS))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy: the package, and a user's script (tests/typing/checkout.py) as pyright checks it too;
# tests/test_typed_calls.py checks that both flag the mistakes of checkout_mistakes.py.
typecheck: $(STAMP)
	$(BIN)/mypy
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(BIN)/pyright --pythonpath $(BIN)/python tests/typing/checkout.py

docs-build: setup $(BYTECODE)
	$(BIN)/mkdocs build --strict

# DOCS_PORT like LAB_PORT; a busy port is one line, before the build, not a traceback after it.
DOCS_PORT ?= 8000
# $(call port_free,PORT,TARGET,VARIABLE): stop make with one line when the port is busy.
port_free = $(eval busy := $(shell $(BIN)/python scripts/port_free.py $(1) $(2) $(3)))$(if \
	$(busy),$(error $(busy)))
docs-port: setup $(BYTECODE)
	$(call port_free,$(DOCS_PORT),docs,DOCS_PORT)

# One strict build, by the server itself (serve --strict stops on a warning as build does):
# a separate docs-build first built the whole site twice before serving.
docs: docs-port
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT) --no-livereload

# Opens the first notebook of the guide, with the repository as JupyterLab's root (the guide
# links to ../docs/), and the file browser on scratch/ (ignored by git, the site and nbval),
# where File > New > Notebook saves. Works as root too. The first line printed is the URL.
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: setup $(BYTECODE)
	$(call port_free,$(LAB_PORT),lab,LAB_PORT)
	@mkdir -p scratch
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	echo "JupyterLab: open http://127.0.0.1:$(LAB_PORT)/lab/tree/notebooks/01_quickstart.ipynb?file-browser-path=/scratch&token=$$token"; \
	root=$$([ "$$(id -u)" = 0 ] && echo --allow-root); \
	exec $(BIN)/jupyter lab $$root --ServerApp.root_dir="$(CURDIR)" --ip 127.0.0.1 \
		--port $(LAB_PORT) --ServerApp.port_retries=0 --IdentityProvider.token="$$token" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate $(LAB_ARGS)

# Strip what changes on every run from the committed notebooks (timings, widget state, UI
# state, other editors' metadata) while keeping outputs and execution counts, which nbval
# compares, and the kernelspec and language_info JupyterLab writes on save: a guide notebook
# opened, run and saved in JupyterLab leaves git status clean. To refresh outputs first,
# restart and run all in JupyterLab, or:
#   env -u LEANRAILS_API_KEY .venv/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
NB_VOLATILE_KEYS := metadata.vscode metadata.colab metadata.toc metadata.varInspector \
	metadata.jupytext cell.metadata.jupyter cell.metadata.editable cell.metadata.deletable \
	cell.metadata.slideshow cell.metadata.vscode cell.metadata.pycharm
NB_FILES ?= notebooks/[0-9][0-9]_*.ipynb
nb-normalize: $(STAMP)
	$(BIN)/nbstripout --keep-output --keep-count --drop-empty-cells \
		--extra-keys "$(NB_VOLATILE_KEYS)" $(NB_FILES)

# The docs served by `make docs` (on DOCS_PORT) may call it from the browser (CORS).
sandbox: $(STAMP) $(BYTECODE)
	DOCS_PORT=$(DOCS_PORT) $(BIN)/leanrails sandbox --host 127.0.0.1 --port 12111

# Benchmarks: one table of ratios, kit against baseline side by side in one run, also written
# as JSON to benchmarks/results/. Loopback only; bounded in count and time (a few minutes).
# Pass options through BENCH_ARGS, for example: make bench BENCH_ARGS="--duration 20 --profile"
BENCH_ARGS ?=
bench: $(STAMP) postgres
	env -u LEANRAILS_API_KEY -u LEANRAILS_BASE_URL $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# The long reliability tests (tests/soak/, skipped by make test): at most 5 minutes. With them,
# the server's bounds (tests/test_sandbox_bounds.py) held to their times, which make test only
# records. Their counts and times are kept in benchmarks/results/, beside the benchmarks'.
soak: $(STAMP)
	env -u LEANRAILS_API_KEY -u LEANRAILS_BASE_URL LEANRAILS_SOAK=1 \
		LEANRAILS_TEST_RESULTS=$${LEANRAILS_TEST_RESULTS:-benchmarks/results} \
		$(BIN)/python -m pytest -p no:cacheprovider tests/soak tests/test_sandbox_bounds.py -s -q

# The request builder (leanrails.explore()) in a real JupyterLab, and the hosted checkout page
# served by the sandbox, as the site shows them (docs/images/).
screenshots: setup browser
	PYTHONPATH=tests $(BIN)/python -m _support.explore_lab docs/images explore-validation
	PYTHONPATH=tests $(BIN)/python -m _support.page_screenshots docs/images

clean:
	rm -rf $(VENV) .venv-py311 .venv-lowest site .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
