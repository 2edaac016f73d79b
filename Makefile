# vaxdw — the two commands: `make demo` (set up + run the whole pipeline) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test airflow bench lint clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/vaxdw demo --scale $${VAXDW_SCALE:-demo}

test: $(STAMP)
	$(BIN)/pytest

airflow: $(STAMP)
	$(BIN)/vaxdw airflow-standalone

bench: $(STAMP)
	$(BIN)/python -m bench.load_throughput

lint: $(STAMP)
	$(BIN)/ruff check vaxdw exporters dags tests bench
	$(BIN)/sqlfluff lint dbt_project/models

clean:
	rm -rf out .airflow dbt_project/target
