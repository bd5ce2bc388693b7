# normsdata: `make demo` runs the whole pipeline on synthetic returns; `make test` runs the tests.
# The virtual environment at .venv/ is created and synced from uv.lock on first use.

PYTHON_BOOT ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.synced

NORMSDATA_INPUTS ?= inputs
NORMSDATA_WAREHOUSE ?= warehouse
DEMO_WAREHOUSE := warehouse/demo
DEMO_INPUTS := $(DEMO_WAREHOUSE)/inputs
DEMO_YEARS ?= 2022-2023
SEED ?= 20261128
YEARS ?= 2022-2023
YEAR ?= $(shell date +%Y)

export PYTHONPATH := $(CURDIR)

.PHONY: venv run demo demo-data templates test test-fast lint bench dev clean-demo

venv: $(STAMP)

# Bytecode is compiled once at install (pip does it, uv only when asked): with PYTHONDONTWRITEBYTECODE
# set, as on our CI machines, every run would otherwise recompile Dagster, pandas and GE (~7 CPU s).
$(STAMP): pyproject.toml uv.lock
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --locked --quiet --compile-bytecode
	touch $(STAMP)

run: $(STAMP)
	NORMSDATA_INPUTS=$(NORMSDATA_INPUTS) NORMSDATA_WAREHOUSE=$(NORMSDATA_WAREHOUSE) $(PY) -m assets.run

demo-data: $(STAMP)
	$(PY) -m pipelines.synthetic --out $(OUT) --years $(YEARS) --seed $(SEED)

# Blank forms in EN, FR, ES and RU for reporting year YEAR, from the code lists the validation uses.
templates: $(STAMP)
	$(PY) -m pipelines.forms.templates_cli --year $(YEAR) --out $(NORMSDATA_WAREHOUSE)/templates

# Synthetic returns for all 193 member states, written once, then the whole pipeline over them.
demo: $(STAMP)
	test -f $(DEMO_INPUTS)/.manifest.json || \
		$(PY) -m pipelines.synthetic --out $(DEMO_INPUTS) --years $(DEMO_YEARS) --seed $(SEED)
	NORMSDATA_INPUTS=$(DEMO_INPUTS) NORMSDATA_WAREHOUSE=$(DEMO_WAREHOUSE) $(PY) -m assets.run

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# Ratios against the floor (calamine + one DuckDB insert) and a naive baseline, in one process.
bench: $(STAMP)
	NORMSDATA_WAREHOUSE=$(NORMSDATA_WAREHOUSE) $(PY) -m bench.run

lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines assets tests bench

# The UI with the sensors and the release schedule running; the instance gets deploy/dagster.yaml.
dev: $(STAMP)
	mkdir -p $(NORMSDATA_WAREHOUSE)/.dagster
	test -f $(NORMSDATA_WAREHOUSE)/.dagster/dagster.yaml || cp deploy/dagster.yaml $(NORMSDATA_WAREHOUSE)/.dagster/
	NORMSDATA_INPUTS=$(abspath $(NORMSDATA_INPUTS)) NORMSDATA_WAREHOUSE=$(abspath $(NORMSDATA_WAREHOUSE)) \
		DAGSTER_HOME=$(abspath $(NORMSDATA_WAREHOUSE))/.dagster $(VENV)/bin/dagster dev -w workspace.yaml

clean-demo:
	rm -rf $(DEMO_WAREHOUSE)
