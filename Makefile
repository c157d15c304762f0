# CareCircle Ordos — `make run` starts the app, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test check lint format bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-deps: $(BIN)/python requirements.txt constraints.txt
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	# Compile the road-network and snapping kernels once (numba caches them), so no command pays it later.
	$(BIN)/python -c "from geo import _kernel, _pbf, _snapgrid; _kernel.warm(); _pbf.warm(); _snapgrid.warm()"
	touch $@

$(VENV)/.dev-deps: $(VENV)/.app-deps requirements-dev.txt constraints.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

## run: install, create data/carecircle.db from datasets/ if needed, serve the app on 127.0.0.1:$(PORT)
## (serve.py adds the upload guard; to serve on a network, see docs/security.md)
run: $(VENV)/.app-deps
	$(BIN)/python -m geo init
	$(BIN)/python -m streamlit run serve.py --server.port $(PORT)

## test: install, lint, type-check and run the whole test suite (unit, property, app, browser)
test: check
	$(BIN)/python -m pytest

## check: ruff (lint + format) and mypy on geo/
check: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the benchmarks, printing side-by-side ratios
bench: $(VENV)/.dev-deps
	for f in benchmarks/bench_*.py; do echo "== $$f"; PYTHONPATH=. $(BIN)/python $$f || exit 1; done

## sample: rebuild the modelled sample in datasets/ (deterministic)
sample: $(VENV)/.app-deps
	$(BIN)/python datasets/build_sample.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
