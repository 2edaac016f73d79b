"""
### vaxdw_ops_monthly: the monthly operations report (运维月报)

On the 1st of each month, writes 运维月报_<YYYYMM>.xlsx for the previous month to the output folder:
pipeline runs and failures, durations and their trend, data volumes, quality results, exchange results,
alerts raised and resolved, backups and restore checks, inspection findings and capacity, with charts.
Also writes the previous month's 审计日志报表 and purges audit records older than the retention
(VAXDW_AUDIT_RETENTION_DAYS, default 1095 days, at least 180); the purge records its own run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback
from vaxdw.settings import get_settings

TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_ops_monthly",
    schedule="0 7 1 * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "ops", "report"],
    default_args={"owner": "vaxdw-ops", "execution_timeout": TASK_TIMEOUT, "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": on_failure_callback, "on_success_callback": on_success_callback},
)
def vaxdw_ops_monthly():
    @task
    def write_report() -> str:
        from vaxdw.db import resolve
        from vaxdw.opsreport import write_monthly
        from vaxdw.settings import get_settings

        previous = get_current_context()["logical_date"].replace(day=1) - timedelta(days=1)
        return str(write_monthly(resolve()[1], get_settings().out_dir, previous.year, previous.month))

    @task
    def write_audit_report() -> str:
        from exporters.audit import write_audit_report as write
        from vaxdw.audit.report import query_audit_report
        from vaxdw.db import resolve
        from vaxdw.settings import get_settings

        month = (get_current_context()["logical_date"].replace(day=1) - timedelta(days=1)).date().replace(day=1)
        report = query_audit_report(resolve()[1], month, month)
        return str(write(report, get_settings().out_dir / f"审计日志报表_{month:%Y%m}_{month:%Y%m}.xlsx"))

    @task
    def purge_audit() -> dict:
        from vaxdw.audit.retention import purge_audit as purge
        from vaxdw.db import resolve
        from vaxdw.settings import get_settings

        return purge(resolve()[1], get_settings().audit_retention_days, user="airflow:vaxdw_ops_monthly").deleted

    write_report()
    write_audit_report() >> purge_audit()


vaxdw_ops_monthly()
