"""
### vaxdw_sla_watch: deadline and freshness alerts (Airflow 2's SLA misses, for Airflow 3)

Every 30 minutes: raises `deadline:vaxdw_main` (严重) when the main pipeline has not finished today by
VAXDW_MAIN_DEADLINE (Asia/Shanghai, default 06:00), and `freshness:marts` (警告) when the marts are older
than VAXDW_MART_MAX_AGE_HOURS (default 36); both send a recovery message once cleared. Same alert path
(DingTalk + e-mail, de-duplicated) as everything else. The work is in `vaxdw.alerts.deadlines`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_sla_watch",
    schedule="*/30 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "ops", "alerts"],
    default_args={"owner": "vaxdw-ops", "execution_timeout": TASK_TIMEOUT, "retries": 1, "retry_delay": timedelta(minutes=2),
                  "on_failure_callback": on_failure_callback, "on_success_callback": on_success_callback},
)
def vaxdw_sla_watch():
    @task
    def check_deadlines() -> dict:
        from vaxdw.alerts.deadlines import check_deadlines as check
        from vaxdw.db import resolve

        return {status.key: status.breached for status in check(resolve()[1])}

    check_deadlines()


vaxdw_sla_watch()
