# The two commands: `make run` and `make test`. Everything else is for developers.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint fmt bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: create the venv, migrate ./murphy.db, load the demo on first run, serve on :8000
run: $(STAMP)
	$(BIN)/murphy serve --demo

## test: the whole suite (SQLite; PostgreSQL too when MURPHY_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## lint: ruff, formatting, mypy, import-linter
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the benchmark of docs/benchmarks.md (SQLite; see bench/README.md for PostgreSQL)
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) murphy.db murphy.db-wal murphy.db-shm .pytest_cache .mypy_cache .ruff_cache
