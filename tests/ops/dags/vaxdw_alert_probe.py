"""A DAG whose only task fails, wired with the package's shared callbacks (used by the alert test)."""

from datetime import datetime

from airflow.sdk import dag, task

from vaxdw.alerts.airflow_callbacks import on_failure_callback, on_success_callback


@dag(
    dag_id="vaxdw_alert_probe",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 0, "on_failure_callback": on_failure_callback,
                  "on_success_callback": on_success_callback},
)
def vaxdw_alert_probe():
    @task
    def load_feed() -> None:
        raise RuntimeError("source system unreachable")

    load_feed()


vaxdw_alert_probe()
