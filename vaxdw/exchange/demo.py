"""The demo's remote world: the simulated national system and collaborative platform, our push receiver, and
two cold-chain vendors, all on 127.0.0.1 in background threads, with stores under ``<out>/simulators``.

``start(settings, warehouse)`` starts them, lets the collaborative platform push its messages (with duplicates,
out-of-order deliveries and malformed bodies) and returns the ``VAXDW_EXCHANGE_*`` variables the exchange DAG
needs to reach them, plus a ``stop`` callable. Moderate faults are switched on so the demo shows retries and
rejections.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

import httpx

from vaxdw.db import PgParams, connect
from vaxdw.exchange.receiver import create_receiver_app
from vaxdw.exchange.simulators import coldchain_vendors
from vaxdw.exchange.simulators.collab_pusher import build_plan, push_all
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import COLLAB_VALIDATORS, NIIS_VALIDATORS, create_app
from vaxdw.settings import Settings

DEMO_FAULTS = {"seed": 7, "error_rate": 0.05, "timeout_rate": 0.02, "lost_response_rate": 0.03,
               "partial_rate": 0.03, "duplicate_delivery_rate": 0.03, "sleep_seconds": 6.0}


@dataclass
class DemoWorld:
    env: dict[str, str]
    pushes: dict
    servers: list[ServerThread] = field(default_factory=list)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _unit_ids(warehouse: PgParams, limit: int = 40) -> list[str]:
    with connect(warehouse) as conn:
        exists = conn.execute("select to_regclass('staging.stg_ops__unit') is not null").fetchone()[0]
        if not exists:
            return [f"61010000{i:04d}" for i in range(limit)]
        rows = conn.execute("select unit_id from staging.stg_ops__unit where unit_type = 'clinic' and is_active "
                            "order by unit_id limit %s", (limit,)).fetchall()
    return [row[0] for row in rows] or [f"61010000{i:04d}" for i in range(limit)]


def start(settings: Settings, warehouse: PgParams, seed: int = 1) -> DemoWorld:
    store = settings.out_dir / "simulators"
    with connect(warehouse) as conn:
        fresh = conn.execute("select to_regclass('exchange.upload_item') is null").fetchone()[0]
    if fresh:  # a new warehouse: the remote systems start empty too (else they hold the previous demo's records)
        for name in ("niis.sqlite", "collab.sqlite"):
            for path in store.glob(name + "*"):
                path.unlink()
    niis_secret, collab_secret, push_secret = (secrets.token_hex(16) for _ in range(3))
    niis = ServerThread(create_app(store / "niis.sqlite", {"610000": niis_secret}, NIIS_VALIDATORS, "niis")).start()
    collab = ServerThread(create_app(store / "collab.sqlite", {"610000": collab_secret}, COLLAB_VALIDATORS,
                                     "collab")).start()
    receiver = ServerThread(create_receiver_app(warehouse, {"NVCSP": push_secret})).start()
    units = _unit_ids(warehouse)
    coldchain_vendors.generate(store / "vendors.sqlite", units, seed=seed)
    vendors = ServerThread(coldchain_vendors.create_app(store / "vendors.sqlite")).start()
    world = DemoWorld(env={}, pushes={}, servers=[niis, collab, receiver, vendors])
    for server in (niis, collab):
        httpx.post(f"{server.url}/_admin/faults", json=DEMO_FAULTS, timeout=10).raise_for_status()
    answers = push_all(receiver.url, "NVCSP", push_secret, build_plan(seed=seed, unit_ids=tuple(units)))
    world.pushes = {"deliveries": len(answers),
                    "http_200": sum(a["http_status"] == 200 for a in answers),
                    "http_400": sum(a["http_status"] == 400 for a in answers)}
    world.env = {
        "VAXDW_EXCHANGE_NIIS_URL": niis.url, "VAXDW_EXCHANGE_NIIS_APP_ID": "610000",
        "VAXDW_EXCHANGE_NIIS_SECRET": niis_secret,
        "VAXDW_EXCHANGE_COLLAB_URL": collab.url, "VAXDW_EXCHANGE_COLLAB_APP_ID": "610000",
        "VAXDW_EXCHANGE_COLLAB_SECRET": collab_secret,
        # 1000-record batches, 4 in flight on a busy machine: an answer can take seconds; a stall is 6 s
        "VAXDW_EXCHANGE_TIMEOUT_SECONDS": "5", "VAXDW_EXCHANGE_BACKOFF_SECONDS": "0.2",
        "VAXDW_EXCHANGE_BATCH_SIZE": "1000", "VAXDW_EXCHANGE_CONCURRENCY": "4",
        "VAXDW_EXCHANGE_COLDCHAIN_VENDORS": json.dumps([
            {"vendor": "A", "format": "json", "url": f"{vendors.url}/vendor-a", "token": "token-a"},
            {"vendor": "B", "format": "csv", "url": f"{vendors.url}/vendor-b", "token": "key-b"}]),
    }
    return world



def run_exchange_dag(settings: Settings, warehouse: PgParams) -> int:
    """For ``vaxdw demo``: start the simulators, run ``airflow dags test vaxdw_exchange``, print its summary."""
    import sys

    from vaxdw import pipeline
    from vaxdw.airflow_env import airflow_env, dags_test

    print("Starting the simulated national systems, receiving the collaborative platform's pushes …", flush=True)
    world = start(settings, warehouse)
    print(f"  pushes delivered {world.pushes['deliveries']}: accepted {world.pushes['http_200']},"
          f" refused as malformed {world.pushes['http_400']}", flush=True)
    print("Running the exchange DAG through Airflow (airflow dags test vaxdw_exchange) …", flush=True)
    try:
        proc = dags_test({**airflow_env(settings), **world.env}, "vaxdw_exchange")
    finally:
        world.stop()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-20000:] + proc.stderr[-20000:])
        print("The exchange DAG run failed; see the log above.", file=sys.stderr)
        return proc.returncode
    print(pipeline.summary(warehouse, pipeline.latest_run_id(warehouse)))
    return 0
