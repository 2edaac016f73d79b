"""
### vaxdw_backup: nightly backup of what cannot be rebuilt

Backs up the warehouse's `raw`, `control`, `dq`, `monitor` (and `audit`/`config` when present) schemas:
a full backup on Sundays (or when none exists), otherwise an incremental one (raw rows of the new loads
plus the small mutable schemas). Old chains beyond `VAXDW_BACKUP_KEEP_FULL` full backups are removed.
Failures raise the `backup:failed` alert (DingTalk + e-mail). See docs/operations.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_backup",
    schedule="0 1 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "ops", "backup"],
    default_args={"owner": "vaxdw-ops", "execution_timeout": TASK_TIMEOUT, "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": on_failure_callback, "on_success_callback": on_success_callback},
)
def vaxdw_backup():
    @task
    def take_backup() -> str:
        from vaxdw.backup.scheduled import scheduled_backup

        day = get_current_context()["logical_date"].date()
        return scheduled_backup(day).backup_id

    take_backup()


vaxdw_backup()
