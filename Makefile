# The two commands of the README: `make run` and `make test`. Each works from a
# fresh clone: it creates .venv and installs what it needs first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench conformance faults install clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# make run PORT=9000 HOST=0.0.0.0 WORKERS=1
HOST ?= 127.0.0.1
PORT ?= 8080
WORKERS ?= 1

run: $(INSTALLED)
	$(BIN)/sellerguard serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python scripts/bench_append.py
	$(BIN)/python scripts/bench_login.py
	$(BIN)/python scripts/bench_check.py
	$(BIN)/python scripts/bench_integrity.py
	$(BIN)/python scripts/bench_projection.py

# Schemathesis against the served OpenAPI document, as every kind of caller.
conformance: $(INSTALLED)
	$(BIN)/python scripts/conformance.py

# kill -9 a worker, then the whole server, under write load: nothing
# acknowledged may be lost (bounded: about 15 s a store). Then database
# faults on PostgreSQL (connections terminated under load, a 10 s refusal):
# two servers and a `projections run` follower; no 500, no false 409, every
# 503 retried with its Idempotency-Key ends 201, 503 within 2 s, recovery
# without a restart (~100 s).
faults: $(INSTALLED)
	$(BIN)/python scripts/fault_test.py --quick --store sqlite
	$(BIN)/python scripts/fault_test.py --quick --store postgres
	$(BIN)/python scripts/chaos_test.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
