# One target per thing a person does. `make run` and `make test` work on a fresh machine with
# Python 3.11+; everything else they need is installed into .venv from pyproject.toml.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
SERVE_PORT ?= 8001

.PHONY: run test test-fast lint format ui serve validate demo clean bench lock audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt pins every package, so an install today and next month give the same set.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.installed

## lock: re-pin constraints.txt to what pyproject.toml resolves to today (then run make test)
lock: | $(BIN)/python
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(VENV)/lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Every package, pinned: what 'make run' and 'make test' install (pip install -c constraints.txt)."; \
	  echo "# Regenerate after changing pyproject.toml with 'make lock', then run 'make test'."; \
	  $(VENV)/lock/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf $(VENV)/lock

# The instance for one machine (deploy/dagster.yaml): runs and events in SQLite files here,
# one publishing run at a time. An existing dagster.yaml (e.g. the PostgreSQL one) is kept.
$(DAGSTER_HOME):
	mkdir -p $@
	test -f $@/dagster.yaml || cp deploy/dagster.yaml $@/dagster.yaml

## run: install, then materialize every asset over the registry into the warehouse
run: $(VENV)/.installed | $(DAGSTER_HOME)
	$(BIN)/python -m odc_pipeline.run

## test: install the dev extras (and Debian's chromium and nginx for the UI tests) and run every test
# Two test processes, one file each at a time: most tests wait on subprocesses, PostgreSQL or
# a browser, so two halve the wall time on two cores. A file's tests stay in one process (the
# Celery tests share the machine's broker queue). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-dev /usr/bin/chromium /usr/sbin/nginx
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## test-fast: the tests that need no PostgreSQL, browser, broker or subprocess
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

# The UI tests drive Debian's Chromium with Playwright and put Debian's nginx in front of the
# webserver. Installed with apt when run as root (as CI does); otherwise this says what to run.
/usr/bin/chromium /usr/sbin/nginx:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(notdir $@); \
	else \
		echo "The UI tests need Debian's $(notdir $@): sudo apt-get install $(notdir $@)"; exit 1; \
	fi

## lint: ruff over the code and the tests
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check odc_pipeline odc_pipeline_tests benchmarks tools
	$(BIN)/ruff format --check odc_pipeline odc_pipeline_tests benchmarks tools

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix odc_pipeline odc_pipeline_tests benchmarks tools
	$(BIN)/ruff format odc_pipeline odc_pipeline_tests benchmarks tools

## audit: every pin of constraints.txt against known vulnerabilities (docs/operations.md)
# pip-audit against PyPI where it answers; otherwise the dated advisory copy in ../shared.
audit: $(VENV)/.installed-dev
	$(BIN)/python -m tools.audit

## ui: the Dagster UI on http://127.0.0.1:3000 over the same definitions (loopback only)
ui: $(VENV)/.installed | $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml -h $(UI_HOST) -p $(UI_PORT)

## serve: the public and members files as a web table (Datasette) on 127.0.0.1:8001
serve: $(VENV)/.installed
	$(BIN)/odc serve --host 127.0.0.1 --port $(SERVE_PORT)

## bench: the benchmarks in benchmarks/ (see docs/performance.md); results in bench/
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks all

## validate: check that the Dagster definitions load
validate: $(VENV)/.installed
	$(BIN)/dagster definitions validate -w workspace.yaml

## demo: rewrite the demo datasets under data/demo/
demo: $(VENV)/.installed
	$(BIN)/python -m odc_pipeline.demo.generate

clean:
	rm -rf data/storage data/warehouse/*.sqlite* $(DAGSTER_HOME)
