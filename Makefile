# Everything a newcomer needs: `make demo` and `make test` build .venv from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test check format bench e2e clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fulfillkit needs Python 3.11+; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,report,dask,polars,duckdb]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fulfillkit demo --out build/demo

check: $(STAMP)
	$(BIN)/ruff check fulfillkit tests benchmarks e2e
	$(BIN)/ruff format --check fulfillkit tests benchmarks e2e
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix fulfillkit tests benchmarks e2e
	$(BIN)/ruff format fulfillkit tests benchmarks e2e

test: check
	$(BIN)/python -m pytest

e2e: $(STAMP)
	bash e2e/run.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache benchmarks/.sdk-venv
