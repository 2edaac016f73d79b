"""Benchmark: the first full upload of a province's vaccination records to the simulated national system,
against a raw COPY-out of the same payloads, in the same run.

    .venv/bin/python -m bench.exchange_upload                  # small scale (195k records)
    .venv/bin/python -m bench.exchange_upload --scale demo     # demo scale (780k records)

A benchmark database on the embedded PostgreSQL (``.pgdata-bench``) gets ``staging.stg_ops__vaccination``
with the scale's number of records (bench/exchange_world.py). The simulated national system runs in its own
process (as in ``vaxdw demo``, where the DAG runs in an ``airflow dags test`` process). Measured:

- ``copy_out``: ``COPY (select <the category's payload SQL>) TO STDOUT`` read to the end — the floor of
  producing those JSON payloads from the warehouse;
- ``enqueue``: ``outbox.enqueue_changes`` (payloads → items with idempotency keys, watermark);
- ``send``: ``outbox.send_pending`` (claim, POST, per-record feedback) with the configured batch size and
  concurrency, no faults.

After the upload (each item written once and updated twice: in flight, then accepted/rejected) the size of
every ``exchange.upload_*`` table is recorded (``pg_total_relation_size``: heap, TOAST and indexes; issue 7
measured the payload kept in the status row at 12 GB of a 19 GB demo warehouse).

Then the outbox retention runs with 0 days (``retention.prune_payloads``: every accepted item's payload is
removed, as 30 days after this upload with the default setting) and the sizes are recorded again: after the
prune's plain VACUUM (space reusable by new payloads) and after ``--compact`` (VACUUM FULL: space returned).

Reports records/s of the whole upload (enqueue + send) and of the copy-out, and their ratio; checks that every
record got feedback, the reconciliation balances and the remote created nothing twice. Writes
``bench/results/exchange_upload.json`` and appends to ``bench/results/history.jsonl``. The machines are
shared: the ratio, measured in one run, is what compares across runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx

from bench.exchange_world import RECORDS_PER_SCALE, build_vaccinations, fresh_database
from vaxdw.db import connect, start_embedded
from vaxdw.exchange import outbox
from vaxdw.exchange.categories import VACCINATION
from vaxdw.exchange.client import UploadClient
from vaxdw.exchange.config import Endpoint, Limits
from vaxdw.exchange.retention import prune_payloads
from vaxdw.settings import PROJECT_ROOT, get_settings

RESULTS = PROJECT_ROOT / "bench" / "results"
SECRET = "bench-secret"


def _serve(store: str, queue, stop) -> None:
    from vaxdw.exchange.simulators.server_thread import ServerThread
    from vaxdw.exchange.simulators.upload_server import NIIS_VALIDATORS, create_app

    server = ServerThread(create_app(Path(store), {"610000": SECRET}, NIIS_VALIDATORS, "niis")).start()
    queue.put(server.url)
    stop.wait()
    server.stop()


def _copy_out(warehouse) -> tuple[int, float]:
    sql = VACCINATION.changed_sql.replace("%(wm)s", "0")
    start = time.perf_counter()
    size = 0
    with connect(warehouse) as conn, conn.cursor().copy(f"copy ({sql}) to stdout") as copy:
        for chunk in copy:
            size += len(chunk)
    return size, time.perf_counter() - start


def run_scale(scale: str, limits: Limits) -> dict:
    records = RECORDS_PER_SCALE[scale]
    settings = replace(get_settings(), pgdata_dir=PROJECT_ROOT / ".pgdata-bench")
    warehouse = fresh_database(start_embedded(settings), "bench_exchange_upload")
    build_vaccinations(warehouse, records)
    copy_bytes, copy_seconds = _copy_out(warehouse)

    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ctx.Process(target=_serve, args=(str(Path(tmp) / "niis.sqlite"), queue, stop), daemon=True)
        proc.start()
        try:
            url = queue.get(timeout=60)
            start = time.perf_counter()
            enqueued = outbox.enqueue_changes(warehouse, VACCINATION)
            enqueue_seconds = time.perf_counter() - start
            start = time.perf_counter()
            with UploadClient(Endpoint(url, "610000", SECRET, timeout_seconds=120)) as client:
                sent = outbox.send_pending(warehouse, client, VACCINATION, limits)
            send_seconds = time.perf_counter() - start
            remote = httpx.get(f"{url}/_admin/stats", timeout=60).json()
        finally:
            stop.set()
            proc.join(timeout=30)
    recon = outbox.reconciliation(warehouse)
    sizes = table_sizes(warehouse)
    balanced = all(r["sent"] == r["accepted"] + r["rejected"] + r["in_flight"] and r["status_mismatches"] == 0
                   for r in recon)
    assert enqueued.enqueued == records and sent.accepted + sent.rejected == records, (enqueued, sent)
    assert balanced and remote["duplicate_creates"] == 0 and sent.left_in_flight == 0
    with connect(warehouse) as conn:
        last_feedback = conn.execute("select max(feedback_at) from exchange.upload_item").fetchone()[0]
    pruned = prune_payloads(warehouse, 0, now=last_feedback)
    sizes_pruned = table_sizes(warehouse)
    compacted = prune_payloads(warehouse, 0, now=last_feedback, compact=True)
    sizes_compacted = table_sizes(warehouse)
    assert outbox.reconciliation(warehouse) == recon, "the prune changed the reconciliation"
    upload_seconds = enqueue_seconds + send_seconds
    upload_rate = records / upload_seconds
    copy_rate = records / copy_seconds
    return {
        "scale": scale,
        "records": records,
        "payload_bytes": copy_bytes,
        "batches": sent.batches,
        "accepted": sent.accepted,
        "rejected": sent.rejected,
        "seconds": {"copy_out": round(copy_seconds, 2), "enqueue": round(enqueue_seconds, 2),
                    "send": round(send_seconds, 2), "upload": round(upload_seconds, 2)},
        "upload_records_per_s": round(upload_rate),
        "send_records_per_s": round(records / send_seconds),
        "copy_out_records_per_s": round(copy_rate),
        "ratio": round(upload_rate / copy_rate, 4),
        "reconciliation_balances": balanced,
        "remote_duplicate_creates": remote["duplicate_creates"],
        "table_bytes": sizes,
        "table_bytes_total": sum(sizes.values()),
        "prune": {"payloads_removed": pruned.payloads_removed, "feedback_removed": pruned.feedback_removed,
                  "bytes_removed_estimate": pruned.bytes_removed, "seconds": pruned.seconds,
                  "compact_seconds": compacted.seconds},
        "table_bytes_after_prune": sizes_pruned,
        "table_bytes_total_after_prune": sum(sizes_pruned.values()),
        "table_bytes_after_compact": sizes_compacted,
        "table_bytes_total_after_compact": sum(sizes_compacted.values()),
    }


def table_sizes(warehouse) -> dict[str, int]:
    """pg_total_relation_size (heap + TOAST + indexes) of each ``exchange.upload_*`` table, after a vacuum so
    the figure is what the upload leaves on disk, not what autovacuum happened to reach yet."""
    with connect(warehouse, autocommit=True) as conn:
        names = [row[0] for row in conn.execute(
            "select relname from pg_class where relnamespace = 'exchange'::regnamespace and relkind = 'r' "
            "and relname like 'upload%' order by relname")]
        for name in names:
            conn.execute(f"vacuum exchange.{name}")
        return {f"exchange.{name}": conn.execute("select pg_total_relation_size(%s)",
                                                 (f"exchange.{name}",)).fetchone()[0] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="append", choices=sorted(RECORDS_PER_SCALE),
                        help="repeatable; default small")
    parser.add_argument("--batch-size", type=int, default=Limits().batch_size)
    parser.add_argument("--concurrency", type=int, default=Limits().concurrency)
    args = parser.parse_args()
    limits = Limits(batch_size=args.batch_size, concurrency=args.concurrency)
    runs = [run_scale(scale, limits) for scale in (args.scale or ["small"])]
    result = {
        "benchmark": "exchange_upload",
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "batch_size": limits.batch_size,
        "batch_bytes": limits.batch_bytes,
        "concurrency": limits.concurrency,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exchange_upload.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(result, ensure_ascii=False) + "\n")
    for run in runs:
        print(f"{run['scale']}: {run['records']:,} records uploaded in {run['seconds']['upload']} s "
              f"(enqueue {run['seconds']['enqueue']} s, send {run['seconds']['send']} s, {run['batches']} batches): "
              f"{run['upload_records_per_s']:,} records/s; COPY-out {run['copy_out_records_per_s']:,} records/s; "
              f"ratio {run['ratio']}; exchange.upload_* tables {run['table_bytes_total'] / 2**20:,.0f} MiB, "
              f"{run['table_bytes_total_after_prune'] / 2**20:,.0f} MiB after pruning "
              f"{run['prune']['payloads_removed']:,} accepted payloads in {run['prune']['seconds']} s, "
              f"{run['table_bytes_total_after_compact'] / 2**20:,.0f} MiB after --compact")


if __name__ == "__main__":
    main()
