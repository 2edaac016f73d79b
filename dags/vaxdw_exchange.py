"""
### vaxdw_exchange: data exchange with the national systems

Runs after the main pipeline has built the marts (data-aware schedule on `vaxdw://warehouse/marts`):

- loads the collaborative platform's pushes (stored by the receiver service in `exchange.inbox`) into
  `raw.collab_item`, and pulls the cold-chain vendors' temperature feeds into `raw.coldchain_*`;
- builds the exchange marts (product / batch dimensions, purchase inbound, temperature supervision);
- uploads changed records to the national immunization information system (recipients, vaccinations,
  stock documents, cold-chain equipment, staff) and the circulation information to the collaborative
  platform, with per-record feedback and reconciliation (`exchange.reconciliation`);
- prunes the outbox: payloads of items accepted longer ago than `VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS`
  (default 30) are removed, the items, their content hashes and last feedback stay;
- raises alert events for temperature excursions and stopped devices (`ops.alert_event`);
- writes the 业务人员上传 and cold-chain statements.

Endpoints, credentials and TLS come from `VAXDW_EXCHANGE_*` settings (docs/exchange.md). This file only
wires the steps; the work is in `vaxdw.exchange.steps`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, get_current_context, task

from vaxdw.settings import get_settings

MARTS = Asset("vaxdw://warehouse/marts")


def _run_id() -> str:
    return get_current_context()["run_id"]


TASK_TIMEOUT = timedelta(seconds=get_settings().task_timeout_seconds)


@dag(
    dag_id="vaxdw_exchange",
    schedule=[MARTS],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["vaxdw", "exchange", "national", "coldchain"],
    default_args={"owner": "vaxdw-data", "execution_timeout": TASK_TIMEOUT, "retries": 2, "retry_delay": timedelta(minutes=2)},
)
def vaxdw_exchange():
    @task
    def receive_pushes() -> None:
        from vaxdw.exchange import steps

        steps.receive_pushes(_run_id())

    @task
    def pull_coldchain() -> None:
        from vaxdw.exchange import steps

        steps.pull_coldchain(_run_id())

    @task
    def build_exchange_marts() -> None:
        from vaxdw.exchange import steps

        steps.build_exchange_marts(_run_id())

    @task
    def upload_national() -> None:
        from vaxdw.exchange import steps

        steps.upload_national(_run_id())

    @task
    def upload_circulation() -> None:
        from vaxdw.exchange import steps

        steps.upload_circulation(_run_id())

    @task
    def prune_outbox() -> None:
        from vaxdw.exchange import steps

        steps.prune_outbox(_run_id())

    @task
    def raise_coldchain_alerts() -> None:
        from vaxdw.exchange import steps

        steps.raise_coldchain_alerts(_run_id())

    @task
    def export_exchange() -> None:
        from vaxdw.exchange import steps

        steps.export_exchange(_run_id())

    marts = build_exchange_marts()
    [receive_pushes(), pull_coldchain()] >> marts
    uploads = [upload_national(), upload_circulation()]
    alerts = raise_coldchain_alerts()
    marts >> [*uploads, alerts]
    uploads >> prune_outbox()
    [*uploads, alerts] >> export_exchange()


vaxdw_exchange()
