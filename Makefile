# The two commands: `make demo` and `make test`. Everything else is a convenience.
# Each target creates the virtual environment from requirements.lock when it is missing or stale.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format lock clean bench dagster docs venv api browser notebooks

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools>=69" wheel
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/coach demo

# Debian's chromium, which the browser tests drive (tests/api/test_console_browser.py); installed
# once from the machine's package registry (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	@if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q >/dev/null && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null

browser: $(CHROMIUM)

# Two processes (pytest-xdist; a test file stays on one, so its fixtures are built once).
TEST_WORKERS ?= 2
test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The Dagster UI on http://127.0.0.1:3000, with the demo's runs (instance under var/dagster).
DAGSTER_HOME ?= $(CURDIR)/var/dagster
dagster: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/coach dbt-parse
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w orchestration/deploy/workspace.yaml -h 127.0.0.1 -p 3000

# The admin API on http://127.0.0.1:8000/docs, on the demo's store and published marts.
api: $(STAMP)
	$(BIN)/coach api --host 127.0.0.1 --port 8000

# The dbt docs site on http://127.0.0.1:8080, generated offline from the demo's warehouse.
DBT_VARS := {"lake_dir": "$(CURDIR)/var/lake", "warehouse_path": "$(CURDIR)/var/warehouse.duckdb"}
docs: $(STAMP)
	cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir . --vars '$(DBT_VARS)' && \
		../$(BIN)/dbt docs serve --profiles-dir . --host 127.0.0.1 --port 8080 --no-browser --vars '$(DBT_VARS)'

# JupyterLab on http://127.0.0.1:8888 over the notebooks, reading the demo's marts (var/lake/gold).
# Each notebook's first cell names the organization it shows (ORGANIZATION, a slug; `coach orgs`).
notebooks: $(STAMP)
	cd notebooks && COACH_HOME=$(CURDIR)/var ../$(BIN)/jupyter lab --ip 127.0.0.1 --port 8888 --no-browser

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/bench_simulator.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_segments.py
	$(BIN)/python bench/bench_dbt.py
	$(BIN)/python bench/bench_stats.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_activation.py
	$(BIN)/python bench/bench_enrollment_sync.py

# Re-resolve the dependency ranges of pyproject.toml into exact pins.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	{ echo "# Exact versions CI tested (pip freeze of a fresh venv on Python 3.11). Regenerate with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v "^abcd-coaching"; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf var .pytest_cache .ruff_cache
