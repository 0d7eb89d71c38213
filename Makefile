# Two commands set everything up on a fresh clone: `make run` (what running needs) and
# `make test` (adds the test tools); `make app`, `make lab` and `make docs` add theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= configs/baseline.toml

.PHONY: run test test-latest lock docs bench lint clean notebooks lab sweep app

# Installs are reproducible and in steps. requirements.lock holds the exact versions (with
# hashes) of everything, made by uv from pyproject.toml's bounds (`make lock` remakes it);
# requirements/<step>.lock is the part one step needs, cut from it by uv with
# requirements.lock as constraints, so every step installs the same versions:
#   run (what running needs) < app (+ Panel), docs (+ MkDocs), lab (+ JupyterLab),
#   test (+ pytest, Playwright, notebooks, app and docs: the whole suite).
# Then the package itself, with no dependencies. `make test-latest` tries the newest versions.
# --no-compile: Python compiles a module's bytecode when it is first imported, only for the
# modules used (about a second on the first run), rather than every module at install time
# (more than half of `make run`'s install: 58 s with it, 21 s without, measured on 2 cores).
LOCK   := requirements.lock
UV_VERSION := 0.13.9
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --no-compile

$(VENV)/.installed-run: pyproject.toml $(LOCK) requirements/run.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing what running needs (requirements/run.lock: numpy, pandas, Mesa, ...) into $(VENV)"
	$(PIP) --progress-bar on --require-hashes -r requirements/run.lock
	$(PIP) --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-%: pyproject.toml $(LOCK) requirements/%.lock $(VENV)/.installed-run
	@echo 'adding what "make $*" needs (requirements/$*.lock) into $(VENV)'
	$(PIP) --progress-bar on --require-hashes -r requirements/$*.lock
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/sparksim run $(CONFIG)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 -q

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/sweep_bench.py

# The quick sweep and its report: results/sweeps/quick/ (resumes if interrupted).
sweep: $(VENV)/.installed-run
	$(BIN)/sparksim sweep configs/sweeps/quick.toml
	$(BIN)/sparksim report results/sweeps/quick

# Every notebook at full size, with HTML copies for reading and sharing.
notebooks: $(VENV)/.installed-lab
	mkdir -p results/notebooks
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=3600 \
	    --output-dir results/notebooks notebooks/*.ipynb

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab notebooks/

# The web app for strategists (simulation/app, Panel): serves it on localhost and
# prints its address; Ctrl-C stops it. `make app APP_PORT=0` takes any free port.
APP_PORT ?= 5006
app: $(VENV)/.installed-app
	$(BIN)/python -m simulation.app --port $(APP_PORT)

# The docs site (MkDocs, mkdocs-material, mkdocstrings), built offline with warnings as
# errors into site/ (open site/index.html); tests/test_docs.py builds it too.
docs: $(VENV)/.installed-docs
	DISABLE_MKDOCS_2_WARNING=true NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) $(VENV_LATEST) results/*/ .pytest_cache

# The same suite on the newest versions pyproject.toml allows (not the lock), on
# Python 3.12 (Mesa 3.4+ needs it), so drift in numpy, pandas, Mesa... is seen
# before it reaches the lock. CI runs it after `make test`.
PY312 ?= $(shell ls $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -n 1 | grep . || command -v python3.12)
VENV_LATEST := .venv-latest

test-latest:
	@set -e; if [ -z "$(PY312)" ]; then echo "test-latest: no python3.12 found; skipped"; exit 0; fi; \
	test -x $(VENV_LATEST)/bin/python || $(PY312) -m venv $(VENV_LATEST); \
	$(VENV_LATEST)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	$(VENV_LATEST)/bin/python -m pip install --quiet --disable-pip-version-check \
	    --upgrade --upgrade-strategy eager -e '.[dev]'; \
	$(VENV_LATEST)/bin/python -c "import sys, numpy, pandas, mesa, panel; \
	print('test-latest: python', sys.version.split()[0], 'numpy', numpy.__version__, \
	'pandas', pandas.__version__, 'mesa', mesa.__version__, 'panel', panel.__version__)"; \
	$(VENV_LATEST)/bin/python -m pytest -n 2 -q

# Remake requirements.lock from pyproject.toml (newest versions within its bounds, for
# Python 3.11 and later; an existing lock's versions are kept: delete it to move them all),
# then cut each step's lock from it, with uv in the project's environment.
lock: $(VENV)/.installed-run
	$(PIP) --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	    --generate-hashes --quiet -o $(LOCK)
	mkdir -p requirements
	$(BIN)/uv pip compile pyproject.toml -c $(LOCK) --universal --python-version 3.11 \
	    --generate-hashes --quiet -o requirements/run.lock
	for step in app docs lab test; do \
	    $(BIN)/uv pip compile pyproject.toml --extra $$step -c $(LOCK) --universal \
	        --python-version 3.11 --generate-hashes --quiet -o requirements/$$step.lock; done

lint: $(VENV)/.installed-test
	$(BIN)/ruff check simulation tests benchmarks
