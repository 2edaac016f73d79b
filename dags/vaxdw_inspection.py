"""
### vaxdw_inspection: weekly inspection (巡检)

Measures CPU, memory and disk of the host, database size, growth and bloat, backup and restore-check
status, failed loads and quality runs of the past week; projects the date the disk fills at the current
growth; writes 巡检报告_<date>.xlsx to the output folder and raises (or resolves) `inspection:*` alerts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_inspection",
    schedule="0 8 * * 1",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "ops", "inspection"],
    default_args={"owner": "vaxdw-ops", "execution_timeout": TASK_TIMEOUT, "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": on_failure_callback, "on_success_callback": on_success_callback},
)
def vaxdw_inspection():
    @task
    def inspect() -> dict:
        from vaxdw.db import resolve
        from vaxdw.inspection import run_inspection

        result = run_inspection(resolve()[1])
        return {"findings": [f.code for f in result.findings], "report": str(result.report_path)}

    inspect()


vaxdw_inspection()
