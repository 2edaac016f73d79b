"""A seeded, bounded random fault schedule over several hundred upload batches.

Each round changes, corrects or adds some source records, then runs the outbox against the simulated national
system with every fault switched on at random (timeouts, 5xx, lost responses, garbage bodies, partial answers,
duplicate delivery, reordering, injected rejections) and, at random, a crash between the remote's answer and
storing the feedback. The invariants are checked after every round (outcomes may still be in flight) and,
after a final fault-free drain, in full.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

import pytest

from tests.integration.exchange_world import (
    LIMITS,
    SECRET,
    TEST_STAFF,
    check_invariants,
    endpoint,
    fresh_warehouse,
    set_faults,
    staff_row,
    upsert_staff,
)
from vaxdw.db import connect
from vaxdw.exchange import outbox
from vaxdw.exchange.client import UploadClient
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import NIIS_VALIDATORS, create_app

SEED = 20261126
ROUNDS = 10
MIN_BATCHES = 300
RANDOM_LIMITS = replace(LIMITS, batch_size=3, max_attempts=3)


class Crash(Exception):
    pass


def _random_schedule(warehouse, url: str, rounds: int, limits) -> dict:
    rng = random.Random(SEED)
    crash_rng = random.Random(SEED + 1)  # drawn from the sender's worker threads: behind a lock
    lock = threading.Lock()
    crashes = retries = 0
    sleeps: list[float] = []
    next_id = 1
    for _round in range(rounds):
        rows = []
        for _ in range(rng.randint(60, 110)):  # new staff, some with a wrong ID check character
            rows.append(staff_row(next_id, rng, bad=rng.random() < 0.08))
            next_id += 1
        for staff_id in rng.sample(range(1, next_id), k=min(next_id - 1, rng.randint(10, 40))):
            rows.append(staff_row(staff_id, rng, bad=rng.random() < 0.05))  # edits and corrections
        upsert_staff(warehouse, rows)
        set_faults(url, seed=rng.randint(0, 10**6), timeout_rate=0.04, lost_response_rate=0.06,
                   error_rate=0.08, garbage_rate=0.03, partial_rate=0.08, duplicate_delivery_rate=0.08,
                   reject_rate=0.03, reorder=rng.random() < 0.5, sleep_seconds=0.2)
        outbox.enqueue_changes(warehouse, TEST_STAFF)

        def maybe_crash(batch_id, item_ids):
            with lock:
                crash = crash_rng.random() < 0.04
            if crash:
                raise Crash(batch_id)

        for _ in range(3):  # a few scheduler runs per round; each may crash or give up
            try:
                with UploadClient(endpoint(url)) as client:
                    result = outbox.send_pending(warehouse, client, TEST_STAFF, limits, sleep=sleeps.append,
                                                 after_send=maybe_crash)
                retries += result.retries
            except Crash:
                crashes += 1
        check_invariants(warehouse, url, drained=False)
    set_faults(url)
    with UploadClient(endpoint(url)) as client:
        outbox.send_pending(warehouse, client, TEST_STAFF, limits, sleep=sleeps.append)
    summary = check_invariants(warehouse, url, drained=True)
    with connect(warehouse) as conn:
        batches = conn.execute("select count(*) from exchange.upload_batch").fetchone()[0]
    assert crashes > 0 and retries > 0
    assert all(delay <= LIMITS.backoff_cap_seconds for delay in sleeps)
    statuses = set(summary["latest_statuses"])
    assert statuses <= {"accepted", "rejected"} and "accepted" in statuses
    print(f"random schedule: {batches} batches, {retries} retries, {crashes} crashes, {summary['items']} items")
    return {"batches": batches}


def test_random_fault_schedule(pg_admin, tmp_path):
    warehouse = fresh_warehouse(pg_admin, "wh_exchange_random_faults")
    server = ServerThread(create_app(tmp_path / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    try:
        outcome = _random_schedule(warehouse, server.url, ROUNDS, RANDOM_LIMITS)
    finally:
        server.stop()
    assert outcome["batches"] >= MIN_BATCHES, outcome


def test_random_fault_schedule_with_concurrent_batches(pg_admin, tmp_path):
    """The same guarantees with several batches in flight at once (the production default)."""
    warehouse = fresh_warehouse(pg_admin, "wh_exchange_random_concurrent")
    server = ServerThread(create_app(tmp_path / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    try:
        outcome = _random_schedule(warehouse, server.url, 4, replace(RANDOM_LIMITS, concurrency=3))
    finally:
        server.stop()
    assert outcome["batches"] >= 100, outcome


@pytest.mark.parametrize("seed", [1, 2])
def test_enqueue_is_idempotent_under_repeated_runs(pg_admin, seed):
    """Running the enqueue twice over the same watermark adds nothing; newer versions supersede unsent ones."""
    rng = random.Random(seed)
    warehouse = fresh_warehouse(pg_admin, f"wh_exchange_enqueue_{seed}")
    upsert_staff(warehouse, [staff_row(i, rng) for i in range(1, 21)])
    first = outbox.enqueue_changes(warehouse, TEST_STAFF)
    again = outbox.enqueue_changes(warehouse, TEST_STAFF)
    assert (first.enqueued, again.enqueued, again.candidates) == (20, 0, 0)
    upsert_staff(warehouse, [(*staff_row(i, rng)[:2], f"新名{i}", *staff_row(i, rng)[3:]) for i in (1, 2)])
    third = outbox.enqueue_changes(warehouse, TEST_STAFF)
    assert (third.enqueued, third.superseded) == (2, 2)
