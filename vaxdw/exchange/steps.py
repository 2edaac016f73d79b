"""The exchange DAG's steps, each a plain function of (run_id, settings) recording its counts in
``control.pipeline_step`` (steps named ``exchange_*``), like the main pipeline's steps.

receive_pushes (inbox → raw) and pull_coldchain (vendors → raw) → build_exchange_marts (dbt, exchange
models) → upload_national (five categories) · upload_circulation → prune_outbox (payloads of accepted items past
the retention) · raise_coldchain_alerts · export_exchange.
"""

from __future__ import annotations

import time
from datetime import date, datetime

from vaxdw import clock
from vaxdw.db import resolve
from vaxdw.exchange import coldchain, inbox, outbox, retention
from vaxdw.exchange.categories import CATEGORIES, NIIS_ORDER
from vaxdw.exchange.client import UploadClient
from vaxdw.exchange.config import exchange_config
from vaxdw.pipeline import record_step
from vaxdw.settings import Settings, get_settings

EXCHANGE_MODELS = ["stg_collab__item", "stg_coldchain__reading", "stg_coldchain__device", "dim_collab_product",
                   "dim_collab_specification", "dim_collab_batch", "fct_collab_purchase_inbound",
                   "fct_coldchain_readings", "rpt_coldchain_excursions", "rpt_coldchain_devices",
                   "rpt_staff_upload"]  # 业务人员上传 by unit: statuses as of this build
# The platform's products, specifications, batches and purchase inbound documents merge into the stock
# dimensions and flow (intermediate/stock): rebuild them and everything downstream after receiving pushes.
STOCK_MERGE_MODELS = ["int_stock_specs+", "int_stock_batches+", "int_stock_collab_purchase+"]


def receive_pushes(run_id: str, settings: Settings | None = None) -> dict:
    _, warehouse = resolve(settings or get_settings())
    return record_step(warehouse, run_id, "exchange_receive", inbox.load_inbox(warehouse))


def pull_coldchain(run_id: str, settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    feeds = [coldchain.pull_vendor(warehouse, feed) for feed in exchange_config(settings).vendors]
    return record_step(warehouse, run_id, "exchange_coldchain_pull", {"vendors": feeds})


def build_exchange_marts(run_id: str, settings: Settings | None = None) -> dict:
    from vaxdw.dbt_runner import run_dbt

    _, warehouse = resolve(settings or get_settings())
    result = run_dbt(warehouse, ["build", "--indirect-selection", "cautious", "--select", *EXCHANGE_MODELS,
                                 *STOCK_MERGE_MODELS])
    return record_step(warehouse, run_id, "exchange_dbt", {"models_built": result.models_built,
                                                           "tests_passed": result.tests_passed,
                                                           "tests_failed": result.tests_failed,
                                                           "stock_merge": _stock_merge_counts(warehouse)})


def _stock_merge_counts(warehouse) -> dict:
    """How much of the platform's pushes reached the stock dimensions and flow (for the summary)."""
    from vaxdw.db import connect

    with connect(warehouse) as conn:
        if not conn.execute("select to_regclass('intermediate.int_stock_collab_purchase') is not null "
                            "and to_regclass('intermediate.int_stock_batches') is not null").fetchone()[0]:
            return {}
        batches = dict(conn.execute("select batch_source, count(*) from intermediate.int_stock_batches "
                                    "group by 1").fetchall())
        lines, docs = conn.execute("select count(*), count(distinct doc_no) "
                                   "from intermediate.int_stock_collab_purchase").fetchone()
        pushed_docs = conn.execute("select count(*) from staging.stg_collab__item "
                                   "where item_type = 'purchase_inbound'").fetchone()[0]
    return {"batches_by_source": batches, "purchase_docs_pushed": pushed_docs, "purchase_docs_added": docs,
            "purchase_lines_added": lines}


def _upload(run_id: str, settings: Settings | None, target: str, names: tuple[str, ...], step: str,
            sleep=time.sleep) -> dict:
    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    config = exchange_config(settings)
    endpoint = config.niis if target == "niis" else config.collab
    categories = {}
    for name in names:
        category = CATEGORIES[name]
        if config.categories is not None and name not in config.categories:
            categories[name] = {"enabled": False, "skipped": "not in VAXDW_EXCHANGE_CATEGORIES"}
            continue
        enqueued = outbox.enqueue_changes(warehouse, category)
        entry = {"enabled": enqueued.enabled, "enqueue": enqueued}
        if enqueued.enabled and endpoint is not None:
            with UploadClient(endpoint) as client:
                entry["send"] = outbox.send_pending(warehouse, client, category, config.limits, sleep=sleep)
        elif endpoint is None:
            entry["send"] = "endpoint not configured"
        categories[name] = entry
    recon = [r for r in outbox.reconciliation(warehouse) if r["target"] == target]
    return record_step(warehouse, run_id, step, {"categories": categories, "reconciliation": recon})


def upload_national(run_id: str, settings: Settings | None = None, sleep=time.sleep) -> dict:
    return _upload(run_id, settings, "niis", NIIS_ORDER, "exchange_upload_niis", sleep)


def upload_circulation(run_id: str, settings: Settings | None = None, sleep=time.sleep) -> dict:
    return _upload(run_id, settings, "collab", ("circulation",), "exchange_upload_collab", sleep)


def prune_outbox(run_id: str, settings: Settings | None = None, now: datetime | None = None) -> dict:
    """Remove the payloads of items accepted more than VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS ago."""
    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    result = retention.prune_payloads(warehouse, exchange_config(settings).payload_retention_days, now=now)
    return record_step(warehouse, run_id, "exchange_prune", result)


def raise_coldchain_alerts(run_id: str, settings: Settings | None = None) -> dict:
    _, warehouse = resolve(settings or get_settings())
    return record_step(warehouse, run_id, "exchange_alerts", coldchain.raise_alerts(warehouse))


def export_exchange(run_id: str, settings: Settings | None = None) -> dict:
    from vaxdw.reports.exchange_exports import default_exports

    settings = settings or get_settings()
    _, warehouse = resolve(settings)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    files = default_exports(warehouse, settings.out_dir, date(2000, 1, 1), clock.today(settings))
    return record_step(warehouse, run_id, "exchange_export", {"files": files})


def summary_lines(steps: dict) -> list[str]:
    """Lines for ``pipeline.summary`` from the exchange steps of a run (empty when there are none)."""
    lines: list[str] = []
    receive = steps.get("exchange_receive")
    if receive:
        lines += ["", "Collaborative platform pushes (inbox → raw):",
                  f"  inbox by status {receive['inbox_by_status']}; items loaded {receive['items_loaded']:,};"
                  f" items rejected (total) {receive['items_rejected_total']:,}"]
    merge = (steps.get("exchange_dbt") or {}).get("stock_merge")
    if merge:
        lines += [f"  into the stock dimensions: batches by source {merge['batches_by_source']};"
                  f" purchase inbound documents pushed {merge['purchase_docs_pushed']}, added to the stock flow"
                  f" {merge['purchase_docs_added']} ({merge['purchase_lines_added']} lines; the rest are the"
                  " source's own documents, counted once)"]
    pull = steps.get("exchange_coldchain_pull")
    if pull:
        lines += ["", "Cold-chain temperature feeds:"]
        lines += [f"  vendor {v['vendor']}: devices {v['devices']}, readings {v['readings']:,},"
                  f" rejected rows {v['rejected']}" for v in pull["vendors"]]
    alerts = steps.get("exchange_alerts")
    if alerts:
        lines.append(f"  alert events raised: excursions {alerts['excursion_alerts']},"
                     f" stopped devices {alerts['stopped_alerts']}")
    for step, title in (("exchange_upload_niis", "Uploads to the national system (国家免疫规划信息管理系统):"),
                        ("exchange_upload_collab", "Circulation upload (全国疫苗协同服务平台):")):
        upload = steps.get(step)
        if not upload:
            continue
        lines += ["", title]
        for name, entry in upload["categories"].items():
            if not entry["enabled"]:
                lines.append(f"  {name:<20} {entry.get('skipped') or 'disabled (its marts do not exist yet)'}")
                continue
            enq, send = entry["enqueue"], entry.get("send")
            text = f"  {name:<20} enqueued {enq['enqueued']:>7,} held back {enq['held_back']:>5,}"
            if isinstance(send, dict):
                # posts, not records: an item whose answer was lost or partial is posted again (same key)
                text += (f"  posted {send['items_sent']:>7,} in {send['batches']} batches, accepted {send['accepted']:,},"
                         f" rejected {send['rejected']:,}, retries {send['retries']}, in flight {send['left_in_flight']}")
                seconds = send.get("seconds") or 0
                if send["items_sent"] and seconds:
                    text += f"  ({seconds:,.1f} s, {send['items_sent'] / seconds:,.0f} posts/s)"
            else:
                text += f"  ({send})"
            lines.append(text)
        for row in upload["reconciliation"]:
            ok = "balances" if row["sent"] == row["accepted"] + row["rejected"] + row["in_flight"] \
                and row["status_mismatches"] == 0 else "DOES NOT BALANCE"
            lines.append(f"    reconciliation {row['category']:<14} {row['sent_date']}: sent {row['sent']:,} ="
                         f" accepted {row['accepted']:,} + rejected {row['rejected']:,}"
                         f" + in flight {row['in_flight']:,}  {ok}")
    prune = steps.get("exchange_prune")
    if prune:
        lines += ["", f"Outbox retention ({prune['retention_days']} days after acceptance, cutoff {prune['cutoff']}):"
                      f" payloads removed {prune['payloads_removed']:,}, earlier feedback rows removed"
                      f" {prune['feedback_removed']:,}, about {prune['bytes_removed'] / 2**20:,.1f} MiB freed"]
    files = steps.get("exchange_export", {}).get("files", [])
    if files:
        lines += ["", "Exchange statements written:"]
        lines += [f"  {f['path']}  ({f['rows']:,} rows)" for f in files]
    return lines
