# Every target sets itself up: a virtual environment in .venv, installed from uv.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test fuzz lint bench format clean worker relay chronograph

VENDOR := services/dashboard/static/vendor/echarts.min.js

install: $(STAMP) $(VENDOR)

# The dashboard's ECharts, from the version its package-lock.json pins (README, Dashboard):
# put back whenever it is missing, as after a git clean.
$(VENDOR): services/dashboard/web/package-lock.json | $(STAMP)
	@$(PY) -m services.dashboard.bundle --force

$(STAMP): pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --quiet
	@touch $(STAMP)

run: install ## API and workers on local defaults, with demo tenants
	$(PY) -m services.entry.local

worker: install ## job workers (BROKER_URL, DATABASE_URL from the environment)
	$(PY) -m dramatiq services.entry.worker --processes $${WORKER_PROCESSES:-2} --threads $${WORKER_THREADS:-8}

relay: install ## the outbox relay
	$(PY) -m services.entry.relay

chronograph: install ## the scheduler of timed work
	$(PY) -m services.entry.chronograph

test: install ## the whole suite against real services
	$(PY) -m pytest $(PYTEST_ARGS)

fuzz: install ## schemathesis over the whole API with many more examples (FUZZ_EXAMPLES, default 25)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} $(PY) -m pytest tests/api/test_fuzz.py $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check services tests migrations bench
	$(VENV)/bin/ruff format --check services tests migrations bench
	$(VENV)/bin/mypy services bench tests
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix services tests migrations bench
	$(VENV)/bin/ruff format services tests migrations bench

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
