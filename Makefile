# The two commands: `make run` and `make test`. Everything else is for developers.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HASH   := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP  := $(VENV)/.run-$(HASH)
DEV_STAMP  := $(VENV)/.dev-$(HASH)

.PHONY: run test lint fmt bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@rm -f $(VENV)/.run-* && touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.run-* $(VENV)/.dev-* && touch $(RUN_STAMP) $@

## run: create the venv, migrate ./murphy.db, load the demo on first run, serve on :8000
run: $(RUN_STAMP)
	$(BIN)/murphy serve --demo

## test: the whole suite (SQLite; PostgreSQL too when MURPHY_TEST_DATABASE_URL is set)
test: $(DEV_STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## lint: ruff, formatting, mypy, import-linter
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the benchmark of docs/benchmarks.md (see bench/README.md)
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) murphy.db murphy.db-wal murphy.db-shm .pytest_cache .mypy_cache .ruff_cache
