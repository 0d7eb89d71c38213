# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= configs/baseline.toml

.PHONY: run test test-latest lock docs bench lint clean notebooks lab sweep app

# Installs are reproducible: exact versions (with hashes) from requirements.lock,
# made by uv from pyproject.toml's lower bounds (`make lock` remakes it), then the
# package itself with no dependencies. `make test-latest` tries the newest versions.
LOCK   := requirements.lock
UV_VERSION := 0.13.9

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the locked versions from $(LOCK) into $(VENV) (about a minute the first time)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sparksim run $(CONFIG)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/sweep_bench.py
	$(BIN)/python benchmarks/app_bench.py

# The quick sweep and its report: results/sweeps/quick/ (resumes if interrupted).
sweep: $(STAMP)
	$(BIN)/sparksim sweep configs/sweeps/quick.toml
	$(BIN)/sparksim report results/sweeps/quick

# Every notebook at full size, with HTML copies for reading and sharing.
notebooks: $(STAMP)
	mkdir -p results/notebooks
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=3600 \
	    --output-dir results/notebooks notebooks/*.ipynb

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# The web app for strategists (simulation/app, Panel): serves it on localhost and
# prints its address; Ctrl-C stops it. `make app APP_PORT=0` takes any free port.
APP_PORT ?= 5006
app: $(STAMP)
	$(BIN)/python -m simulation.app --port $(APP_PORT)

# The docs site (MkDocs, mkdocs-material, mkdocstrings), built offline with warnings as
# errors into site/ (open site/index.html); tests/test_docs.py builds it too.
docs: $(STAMP)
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

# Remake requirements.lock from pyproject.toml (newest versions within its bounds,
# for Python 3.11 and later), with uv in the project's environment.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	    --generate-hashes --quiet -o $(LOCK)

lint: $(STAMP)
	$(BIN)/ruff check simulation tests benchmarks docs
