# One target per thing a person does. `make run` and `make test` work on a fresh machine with
# Python 3.11+; everything else they need is installed into .venv from pyproject.toml.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000

.PHONY: run test lint format ui validate demo clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# An explicit (empty but for telemetry) dagster.yaml: runs and events go to sqlite files here.
$(DAGSTER_HOME):
	mkdir -p $@
	test -f $@/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $@/dagster.yaml

## run: install, then materialize every asset over the registry into the warehouse
run: $(VENV)/.installed | $(DAGSTER_HOME)
	$(BIN)/python -m odc_pipeline.run

## test: install the dev extras and run the whole test suite
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

## lint: ruff over the code and the tests
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check odc_pipeline odc_pipeline_tests
	$(BIN)/ruff format --check odc_pipeline odc_pipeline_tests

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix odc_pipeline odc_pipeline_tests
	$(BIN)/ruff format odc_pipeline odc_pipeline_tests

## ui: the Dagster UI on http://127.0.0.1:3000 over the same definitions (loopback only)
ui: $(VENV)/.installed | $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml -h $(UI_HOST) -p $(UI_PORT)

## bench: benchmarks, results in bench/results.json and bench/results-*.md
bench: $(VENV)/.installed
	$(BIN)/python -m odc_pipeline.bench regions
	$(BIN)/python -m odc_pipeline.bench validation
	$(BIN)/python -m odc_pipeline.bench publish

## validate: check that the Dagster definitions load
validate: $(VENV)/.installed
	$(BIN)/dagster definitions validate -w workspace.yaml

## demo: rewrite the demo datasets under data/demo/
demo: $(VENV)/.installed
	$(BIN)/python -m odc_pipeline.demo.generate

clean:
	rm -rf data/storage data/warehouse/*.sqlite* $(DAGSTER_HOME)
