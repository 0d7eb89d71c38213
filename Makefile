# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= configs/baseline.toml

.PHONY: run test test-compat bench lint clean notebooks lab sweep app

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sparksim run $(CONFIG)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/sweep_bench.py

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

clean:
	rm -rf $(VENV) $(VENV312) results/*/ .pytest_cache

# The same suite on Python 3.12 with the newest Mesa (3.4+ needs Python 3.12),
# so the code keeps running on Mesa 3.3 (.venv, Python 3.11) and 3.5 alike.
PY312 ?= $(shell ls $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -n 1 | grep . || command -v python3.12)
VENV312 := .venv-py312

test-compat:
	@set -e; if [ -z "$(PY312)" ]; then echo "test-compat: no python3.12 found; skipped"; exit 0; fi; \
	test -x $(VENV312)/bin/python || $(PY312) -m venv $(VENV312); \
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip; \
	$(VENV312)/bin/python -m pip install --quiet -e '.[dev]' 'mesa>=3.5'; \
	$(VENV312)/bin/python -c "import mesa, sys; print('mesa', mesa.__version__, 'python', sys.version.split()[0])"; \
	$(VENV312)/bin/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check simulation tests benchmarks
