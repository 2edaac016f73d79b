"""
### vaxdw_obstetric_push: 产科档案推送

Daily, after the marts are built: each obstetric newborn record is given its receiving clinic by the
configured rule (config/obstetric_push.yaml: household / residence / obstetric location) and pushed once
it is `cycle_days` old. Every push is recorded in `obstetric.newborn_push` (once per record); the records
about to arrive are in `obstetric.v_newborn_arriving`. The work is in `vaxdw.obstetric_push`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, get_current_context, task

from vaxdw.settings import get_settings

MARTS = Asset("vaxdw://warehouse/marts")


TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_obstetric_push",
    schedule=[MARTS],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "obstetric"],
    default_args={"owner": "vaxdw-data", "execution_timeout": TASK_TIMEOUT, "retries": 1, "retry_delay": timedelta(minutes=2)},
)
def vaxdw_obstetric_push():
    @task
    def push_records() -> dict[str, int]:
        from vaxdw.obstetric_push import run_push

        return run_push(get_current_context()["run_id"])

    push_records()


vaxdw_obstetric_push()
