# 智慧济源 citizen services backend. Two commands matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run console test test-frontends test-server test-embedded lint format migrate seed worker clean help bench

help:
	@echo "make run    - install, migrate, seed the Jiyuan demo data (SQLite) and serve on http://127.0.0.1:8000"
	@echo "make test   - install, find/start PostgreSQL + Redis, lint, run the suite on them, then on SQLite"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/citizen-api migrate
	$(BIN)/citizen-api seed --demo
	@$(MAKE) --no-print-directory console
	$(BIN)/citizen-api serve --host 127.0.0.1 --port 8000

# The staff console (console/, served at /console/): built when Node.js is present; the API runs without it.
console:
	@if ! command -v npm >/dev/null; then \
	  echo "Node.js (npm) not found: the staff console at /console/ is not built. Install Node.js 20 and run 'make run' again."; \
	elif (cd console && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent); then \
	  echo "staff console built: http://127.0.0.1:8000/console/ (create a sign-in: .venv/bin/citizen-api users create-staff --help)"; \
	else echo "the staff console failed to build (see above); serving the API without it"; fi

migrate: $(STAMP)
	$(BIN)/citizen-api migrate

seed: $(STAMP)
	$(BIN)/citizen-api seed --demo

worker: $(STAMP)
	$(BIN)/citizen-api worker

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suite on PostgreSQL + Redis, then the embedded profile on SQLite + fakeredis.
test: $(STAMP)
	@set -e; \
	exports="$$($(BIN)/python scripts/test_services.py)"; \
	eval "$$exports"; \
	trap 'eval "$$CITIZEN_TEST_CLEANUP" >/dev/null 2>&1' EXIT; \
	$(MAKE) --no-print-directory lint; \
	echo "== suite on PostgreSQL + Redis"; \
	CITIZEN_TEST_PROFILE=server $(BIN)/python -m pytest -q -p no:cacheprovider; \
	echo "== embedded profile on SQLite + fakeredis"; \
	CITIZEN_TEST_PROFILE=embedded $(BIN)/python -m pytest -q -p no:cacheprovider; \
	$(MAKE) --no-print-directory test-frontends

# Each front end (miniprogram/, console/) owns its package.json: `npm test` runs its static gates, unit,
# page and end-to-end tests and prints a closing line `N passed, N failed`.
test-frontends: $(STAMP)
	@set -e; for fe in miniprogram console; do \
	  if [ -f $$fe/package.json ]; then \
	    if ! command -v npm >/dev/null; then echo "npm not found: cannot test $$fe/ (install Node.js 20)"; exit 1; fi; \
	    echo "== $$fe"; \
	    (cd $$fe && npm ci --no-audit --no-fund --loglevel=error && PATH="$(CURDIR)/$(BIN):$$PATH" npm test); \
	  fi; \
	done

# Benchmarks (not tests; `make test` never runs them): wrk against the API and its floors, on the local
# PostgreSQL + Redis (BENCH_DATABASE_URL / BENCH_REDIS_URL). See bench/README.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/0
bench: $(STAMP)
	$(BIN)/python bench/booking_bench.py --database-url $(BENCH_DATABASE_URL) --redis-url $(BENCH_REDIS_URL)
	$(BIN)/python bench/tourism_bench.py --database-url $(BENCH_DATABASE_URL) --redis-url $(BENCH_REDIS_URL)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
