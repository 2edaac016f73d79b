"""
### vaxdw_restore_verify: weekly proof that the backups restore

Restores the latest full + incremental backups into the scratch database `vaxdw_restore_check`, compares
every table's row count and checksum with those recorded in the backup's own snapshot, records the
result in `monitor.restore_check` (metric `vaxdw_restore_verify_ok`) and alerts `backup:restore_verify`
when anything differs. See docs/operations.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_restore_verify",
    schedule="0 3 * * 1",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "ops", "backup"],
    default_args={"owner": "vaxdw-ops", "execution_timeout": TASK_TIMEOUT, "retries": 0, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": on_failure_callback, "on_success_callback": on_success_callback},
)
def vaxdw_restore_verify():
    @task
    def verify_restore() -> dict:
        from vaxdw.backup.scheduled import scheduled_verify

        result = scheduled_verify()
        return {"backup_id": result.backup_id, "tables_compared": result.tables_compared}

    verify_restore()


vaxdw_restore_verify()
