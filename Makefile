# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= $(or $(DME_PORT),8000)
HOST ?= 127.0.0.1
LINT_PATHS := src tests alembic $(wildcard bench)

.PHONY: install run serve test test-sqlite test-pg lint fmt typecheck openapi check-openapi \
        lint-openapi migrate revision worker bench bench-rules bench-sla bench-expiry clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

## Serve the API on embedded SQLite under ./var (migrates and seeds demo data on first run).
run: install
	$(BIN)/dme-portal serve --host $(HOST) --port $(PORT)

## Every test, on SQLite and on PostgreSQL (found on 127.0.0.1:5432 or started with initdb).
## The portal's browser tests need /usr/bin/chromium (Debian's; skipped loudly without it
## unless DME_REQUIRE_BROWSER=1) and axe-core from node_modules.
test: install node_modules/.installed
	$(BIN)/pytest

test-sqlite: install node_modules/.installed
	DME_TEST_BACKENDS=sqlite $(BIN)/pytest

test-pg: install node_modules/.installed
	DME_TEST_BACKENDS=postgresql DME_REQUIRE_POSTGRES=1 $(BIN)/pytest

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

typecheck: install
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

openapi: install
	$(BIN)/dme-portal openapi --out openapi/openapi.json

check-openapi: install
	$(BIN)/dme-portal openapi --check openapi/openapi.json

## Redocly CLI (npm, the version pinned in package-lock.json) lints the committed document
## with redocly.yaml, and the portal's browser tests inject axe-core; the service needs no Node.js.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

lint-openapi: node_modules/.installed
	REDOCLY_TELEMETRY=off node_modules/.bin/redocly lint openapi/openapi.json

migrate: install
	$(BIN)/dme-portal migrate

revision: install
	DME_DB__URL=sqlite+aiosqlite:///./var/revision.db $(BIN)/dme-portal migrate
	DME_DB__URL=sqlite+aiosqlite:///./var/revision.db $(BIN)/alembic -c alembic.ini revision --autogenerate -m "$(m)"

## The SLA worker (in-process already under `make run` on SQLite).
worker: install
	$(BIN)/dme-portal worker

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache node_modules

## Benchmarks (never timed assertions in tests).
bench: bench-rules bench-sla bench-expiry

bench-rules: install
	$(BIN)/python bench/rules_bench.py

bench-sla: install
	$(BIN)/python bench/sla_bench.py

bench-expiry: install
	$(BIN)/python bench/expiry_bench.py
