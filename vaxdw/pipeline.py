"""The main pipeline's steps, each a plain function that a DAG task calls.

extract_load → transform (dbt build) → check_quality (GE on the new batch) → export_statements.
Each step records what it did in ``control.pipeline_step`` so the CLI can print a summary
after ``airflow dags test`` and an auditor can see, per run, what was loaded, built, checked
and written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vaxdw import clock
from vaxdw.db import PgParams, connect, resolve, service_params
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

STEP_DDL = """
create schema if not exists control;
create table if not exists control.pipeline_step (
    pipeline_run_id text not null,
    step text not null,
    finished_at timestamptz not null default now(),
    payload jsonb not null,
    primary key (pipeline_run_id, step)
);
"""


def _jsonable(value: Any) -> Any:
    if is_dataclass(value):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, Path)):
        return str(value)
    return value


def record_step(warehouse: PgParams, run_id: str, step: str, payload: dict) -> dict:
    payload = _jsonable(payload)
    with connect(warehouse) as conn:
        conn.execute(STEP_DDL)
        conn.execute(
            """
            insert into control.pipeline_step (pipeline_run_id, step, payload) values (%s, %s, %s)
            on conflict (pipeline_run_id, step) do update set payload = excluded.payload, finished_at = now()
            """,
            (run_id, step, json.dumps(payload, ensure_ascii=False)),
        )
    return payload


def extract_load(run_id: str, settings: Settings | None = None) -> dict:
    from vaxdw.extract_load import load_all

    settings = settings or get_settings()
    source, warehouse = resolve(settings)
    results = load_all(source, service_params("loader", settings), pipeline_run_id=run_id,
                       lag_seconds=settings.watermark_lag_seconds)
    return record_step(warehouse, run_id, "extract_load", {"loads": results})


def transform(run_id: str, settings: Settings | None = None, full_refresh: bool = False,
              logical_date: date | None = None) -> dict:
    """dbt build: incremental by default; a full refresh when asked, weekly, or when the project changed
    what history means (vaxdw.build_mode). Loads wait while it runs (vaxdw.dbt_runner.run_dbt)."""
    import time

    from vaxdw import build_mode, clock
    from vaxdw.dbt_runner import run_dbt

    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    mode = build_mode.decide(warehouse, settings.dbt_project_dir, requested=full_refresh,
                             today=logical_date or clock.today(), weekly=settings.full_refresh_weekday)
    log.info("dbt build mode: %s (%s)", mode.name, mode.reason)
    build_id = build_mode.start(warehouse, mode, run_id)
    started = time.monotonic()
    ok = False
    try:
        result = run_dbt(service_params("transformer", settings), mode.dbt_args(), vars=mode.dbt_vars() or None,
                         timeout=settings.dbt_timeout_seconds)  # holds the load lock while it runs
        ok = True
    finally:
        build_mode.finish(warehouse, build_id, ok, time.monotonic() - started)
    counts = {
        "mode": mode.name,
        "reason": mode.reason,
        "models_built": result.models_built,
        "seeds_loaded": result.seeds_loaded,
        "tests_passed": result.tests_passed,
        "tests_warned": result.tests_warned,
        "tests_failed": result.tests_failed,
        "elapsed_seconds": round(result.elapsed_seconds, 1),
    }
    return record_step(warehouse, run_id, "transform", {"dbt": counts})


def load_ids_of_run(warehouse: PgParams, run_id: str) -> list[int]:
    with connect(warehouse) as conn:
        rows = conn.execute(
            "select load_id from control.load where pipeline_run_id = %s and status = 'succeeded' "
            "and rows_loaded > 0 order by load_id",
            (run_id,),
        ).fetchall()
    return [row[0] for row in rows]


def check_quality(run_id: str, settings: Settings | None = None) -> dict:
    from vaxdw.quality.checkpoint import run_checks

    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    load_ids = load_ids_of_run(warehouse, run_id)
    result = run_checks(service_params("quality", settings), load_ids, run_label=run_id)
    return record_step(warehouse, run_id, "check_quality", {"load_ids": load_ids, "checks": result})


def default_period(warehouse: PgParams) -> tuple[date, date]:
    """Year to date of the latest vaccination in the warehouse."""
    with connect(warehouse) as conn:
        latest = conn.execute("select max(vaccination_date) from marts.fct_vaccinations").fetchone()[0]
    latest = latest or clock.today()
    return date(latest.year, 1, 1), latest


def export_statements(run_id: str, settings: Settings | None = None, date_from: date | None = None,
                      date_to: date | None = None) -> dict:
    from vaxdw.reports.exports import write_all

    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    if date_from is None or date_to is None:
        date_from, date_to = default_period(warehouse)
    files = write_all(warehouse, settings.out_dir, date_from, date_to)
    return record_step(warehouse, run_id, "export_statements", {"files": files})


def latest_run_id(warehouse: PgParams) -> str | None:
    with connect(warehouse) as conn:
        conn.execute(STEP_DDL)
        row = conn.execute(
            "select pipeline_run_id from control.pipeline_step order by finished_at desc limit 1"
        ).fetchone()
    return row[0] if row else None


def summary(warehouse: PgParams, run_id: str) -> str:
    """A short human summary of one pipeline run, read back from the control tables."""
    with connect(warehouse) as conn:
        steps = dict(
            conn.execute(
                "select step, payload from control.pipeline_step where pipeline_run_id = %s", (run_id,)
            ).fetchall()
        )
    lines = [f"vaxdw pipeline run {run_id}", "", "Extract/load (rows per table):"]
    for load in steps.get("extract_load", {}).get("loads", []):
        lines.append(
            f"  {load['table_name']:<16} read {load['rows_read']:>9,}  loaded {load['rows_loaded']:>9,}"
            f"  quarantined {load['rows_quarantined']:>6,}"
        )
    dbt = steps.get("transform", {}).get("dbt", {})
    if dbt:
        lines += ["", "dbt build: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dbt.items())]
    checks = steps.get("check_quality", {}).get("checks", {})
    if checks:
        lines += ["", "Great Expectations checkpoint:"]
        for rule in checks.get("rules", []):
            lines.append(
                f"  {rule.get('rule_id', ''):<28} {'passed' if rule.get('success') else 'FAILED':<7}"
                f" failing rows {rule.get('rows_failed', 0):>6,} of {rule.get('rows_checked', 0):,}"
            )
    files = steps.get("export_statements", {}).get("files", [])
    if files:
        lines += ["", "Statements written:"]
        lines += [f"  {f['path']}  ({f['rows']:,} rows)" for f in files]
    from vaxdw.exchange.steps import summary_lines

    lines += summary_lines(steps)
    return "\n".join(lines)
