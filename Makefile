# vaxdw — the two commands: `make demo` (set up + run the whole pipeline) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed

.PHONY: venv demo test airflow bench bench-scale lint clean superset superset-venv superset-stop browser audit

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/vaxdw demo --scale $${VAXDW_SCALE:-demo}

test: $(STAMP) $(SUPERSET_STAMP) browser
	-$(BIN)/python -m vaxdw.security.vuln_scan  # report only (out/vuln_scan.json); `make audit` is the strict gate
	$(BIN)/pytest

# Lock-file vulnerability scan against osv.dev: exit 1 on advisories, 3 when the advisory data is unreachable.
audit: $(STAMP)
	$(BIN)/python -m vaxdw.security.vuln_scan

# Superset in its own virtualenv (its pins clash with Airflow's), from requirements-superset.lock.
$(SUPERSET_STAMP): requirements-superset.lock
	test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/pip install -q --upgrade pip
	$(SUPERSET_VENV)/bin/pip install -q -r requirements-superset.lock
	touch $(SUPERSET_STAMP)

superset-venv: $(SUPERSET_STAMP)

# Debian's Chromium + CJK fonts for the browser tests (never `playwright install`).
browser:
	@test -x /usr/bin/chromium || { apt-get install -y chromium fonts-noto-cjk || \
		{ apt-get update && apt-get install -y chromium fonts-noto-cjk; }; }

# Start Superset on 127.0.0.1:8088 against the warehouse, import superset_assets/, sync access (idempotent).
superset: $(STAMP) $(SUPERSET_STAMP)
	$(BIN)/vaxdw superset up

superset-stop: $(STAMP)
	$(BIN)/vaxdw superset stop

airflow: $(STAMP)
	$(BIN)/vaxdw airflow-standalone

bench: $(STAMP)
	$(BIN)/python -m bench.load_throughput
	$(BIN)/python -m bench.exchange_upload

# Full run against one simulated day's incremental run at small, demo and 4x demo (about an hour; docs/scaling.md).
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

lint: $(STAMP)
	$(BIN)/ruff check vaxdw exporters dags tests bench
	$(BIN)/sqlfluff lint dbt_project/models

clean:
	rm -rf out .airflow dbt_project/target .superset
