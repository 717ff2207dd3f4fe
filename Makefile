# Everything a newcomer needs: `make demo` and `make test` build .venv from nothing.
# Another Python: `PYTHON=python3.13 make test VENV=.venv-3.13` (one venv per Python).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS := test,dev,docs,report,dask,polars,duckdb

.PHONY: demo test check format docs bench e2e clean venv lock

venv: $(STAMP)

# constraints.txt pins every version installed here (the tools and stubs of `make check`
# included), so a fresh clone checks the same thing everywhere; `make lock` refreshes it.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fulfillkit needs Python 3.11+; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	@touch $(STAMP)

# The newest versions pyproject.toml allows, written to constraints.txt. Run it with the
# oldest supported Python (PYTHON=python3.11), then .ci/run to check every Python.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[$(EXTRAS)]'
	{ sed -n '/^#/p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^#'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

demo: $(STAMP)
	$(BIN)/fulfillkit demo --out build/demo

check: $(STAMP)
	$(BIN)/ruff check fulfillkit tests benchmarks e2e docs/hooks
	$(BIN)/ruff format --check fulfillkit tests benchmarks e2e docs/hooks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix fulfillkit tests benchmarks e2e docs/hooks
	$(BIN)/ruff format fulfillkit tests benchmarks e2e docs/hooks

# The docs site (mkdocs.yml, docs/) into build/site, warnings as errors (mkdocs.yml sets
# strict): a broken link, a stale API reference or a failing generated part fails it.
# Offline: no fonts, CDN or inventories are fetched.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Two pytest workers (pytest-xdist): the suite takes about half as long on two cores.
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: check docs
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

e2e: $(STAMP)
	PY=$(BIN)/python bash e2e/run.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf .venv .venv-* build .mypy_cache .ruff_cache .pytest_cache benchmarks/.sdk-venv
