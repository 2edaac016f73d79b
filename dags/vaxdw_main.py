"""
### vaxdw_main: the main pipeline of the Shaanxi immunization data warehouse

Extracts the operational system's changed rows (updated_at watermarks) into the append-only
`raw` schema, builds the dbt marts, runs the Great Expectations checkpoint on the new batch, and
writes the Excel statements (实种情况统计表) to the output folder.

The dbt build is incremental (only the new loads are read); it is a full refresh when triggered with
`{"full_refresh": true}`, on the weekly refresh day (`VAXDW_FULL_REFRESH_WEEKDAY`, default Sunday) and
after a change of dbt vars, seeds or models (`vaxdw.build_mode`; the reason is in the task log and in
`control.dbt_build`). The build's time limit is `VAXDW_DBT_TIMEOUT_SECONDS`.

Every step records its counts in `control.pipeline_step`; loads in `control.load`, rejected rows in
`control.quarantine`, check results in `dq.*`. Rerunning is safe: a load continues from the last
successful watermark, so nothing is loaded twice.

This file only wires the steps; the work is in `vaxdw.pipeline`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import (
    Asset,
    DeadlineAlert,
    DeadlineReference,
    Param,
    SyncCallback,
    dag,
    get_current_context,
    task,
)

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

MARTS = Asset("vaxdw://warehouse/marts")


# Airflow 3 Deadline Alert (replaces Airflow 2 SLAs): the daily run must finish by VAXDW_MAIN_DEADLINE
# (default 06:00) after its logical date (midnight, Asia/Shanghai); a miss raises deadline:vaxdw_main.
# Attached only with VAXDW_AIRFLOW_DEADLINE_ALERTS=true (scheduler deployments): `airflow dags test` of a DAG
# with a deadline fails in Airflow 3.3.2. The vaxdw_sla_watch DAG raises the same alert everywhere.
_hours, _minutes = (int(part) for part in get_settings().main_deadline.split(":"))
DEADLINE = DeadlineAlert(
    reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
    interval=timedelta(hours=_hours, minutes=_minutes),
    callback=SyncCallback("vaxdw.alerts.airflow_callbacks.on_deadline_missed",
                          kwargs={"dag_id": "vaxdw_main", "deadline_zh": f"截止 {get_settings().main_deadline}"}),
)


def _run_id() -> str:
    return get_current_context()["run_id"]


@dag(
    dag_id="vaxdw_main",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "main", "extract", "dbt", "quality", "excel"],
    deadline=DEADLINE if get_settings().airflow_deadline_alerts else None,
    params={"full_refresh": Param(False, type="boolean", description="dbt 全量重建 (full refresh) instead of incremental")},
    default_args={
        "owner": "vaxdw-data",
        "execution_timeout": timedelta(seconds=get_settings().task_timeout_seconds),
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "on_failure_callback": on_failure_callback,
        "on_success_callback": on_success_callback,
    },
)
def vaxdw_main():
    @task
    def extract_load() -> None:
        from vaxdw import pipeline

        pipeline.extract_load(_run_id())

    @task(outlets=[MARTS], execution_timeout=timedelta(seconds=get_settings().dbt_timeout_seconds + 600))
    def transform() -> None:
        from vaxdw import pipeline

        context = get_current_context()
        logical = context.get("logical_date") or context["dag_run"].run_after
        pipeline.transform(_run_id(), full_refresh=bool(context["params"]["full_refresh"]),
                           logical_date=logical.date())

    @task
    def check_quality() -> None:
        from vaxdw import pipeline

        pipeline.check_quality(_run_id())

    @task
    def export_statements() -> None:
        from vaxdw import pipeline

        pipeline.export_statements(_run_id())

    extract_load() >> transform() >> check_quality() >> export_statements()


vaxdw_main()
