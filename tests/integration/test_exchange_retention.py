"""Retention of the upload outbox (vaxdw/exchange/retention.py): after an upload cycle that leaves items accepted,
rejected, in flight and queued, pruning removes exactly the accepted items' payloads; reconciliation, change
detection and resending work as before, and a second prune removes nothing.

``now`` is always passed in, taken from the items' own feedback times: nothing depends on today's date.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta

import httpx
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
from vaxdw.exchange import outbox, steps
from vaxdw.exchange.client import UploadClient
from vaxdw.exchange.retention import RetentionError, prune_payloads
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import NIIS_VALIDATORS, create_app
from vaxdw.reports.staff_upload import failure_detail
from vaxdw.settings import get_settings


@pytest.fixture
def world(pg_admin, tmp_path):
    warehouse = fresh_warehouse(pg_admin, "wh_x_retention")
    server = ServerThread(create_app(tmp_path / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    yield warehouse, server
    server.stop()


def _run(warehouse, url):
    outbox.enqueue_changes(warehouse, TEST_STAFF)
    with UploadClient(endpoint(url)) as client:
        return outbox.send_pending(warehouse, client, TEST_STAFF, LIMITS, sleep=lambda s: None)


def _query(warehouse, sql: str, params=None) -> list[tuple]:
    with connect(warehouse) as conn:
        return conn.execute(sql, params).fetchall()


def _snapshot(warehouse) -> dict:
    """What reconciliation, change detection, audit and resending read, apart from the payloads."""
    return {
        "reconciliation": _query(warehouse, "select * from exchange.reconciliation order by 1, 2, 3"),
        "items": _query(warehouse, "select * from exchange.upload_item order by item_id"),
        "last_feedback": _query(warehouse, "select distinct on (item_id) * from exchange.upload_feedback "
                                           "order by item_id, feedback_id desc"),
        "rejected_feedback": _query(warehouse, "select feedback.* from exchange.upload_feedback as feedback "
                                               "inner join exchange.upload_item using (item_id) "
                                               "where upload_item.status = 'rejected' order by feedback_id"),
        "batches": _query(warehouse, "select * from exchange.upload_batch order by batch_id"),
        "watermarks": _query(warehouse, "select * from exchange.watermark order by 1, 2"),
    }


def _last_feedback_at(warehouse):
    return _query(warehouse, "select max(feedback_at) from exchange.upload_item")[0][0]


def test_prune_keeps_what_resending_and_reconciliation_need(world):
    warehouse, server = world
    rng = random.Random(1)
    upsert_staff(warehouse, [staff_row(i, rng, bad=i % 5 == 0) for i in range(1, 31)])  # 6 answered E103
    set_faults(server.url, reject_rate=0.2, seed=3)  # and some E190
    _run(warehouse, server.url)
    # six accepted records change; the remote is down: the first batch of four stays in flight, two queued
    accepted_keys = sorted((key for (key,) in _query(warehouse, "select record_key from exchange.upload_item "
                                                                "where status = 'accepted'")), key=int)
    changed = accepted_keys[:6]
    upsert_staff(warehouse, [(*staff_row(int(k), rng)[:2], f"改名{k}", *staff_row(int(k), rng)[3:]) for k in changed])
    set_faults(server.url, script=["error"] * LIMITS.max_attempts)
    down = _run(warehouse, server.url)
    assert down.left_in_flight == 4 and down.errors
    statuses = dict(_query(warehouse, "select status, count(*) from exchange.upload_item group by 1"))
    assert statuses["in_flight"] == 4 and statuses["queued"] == 2 and statuses["rejected"] >= 6
    # a re-post answered twice: the accepted item then has two feedback rows (the remote's replayed answer);
    # a rejected item with two rows keeps both
    accepted_id, rejected_id = _query(warehouse, """
        select (select min(item_id) from exchange.upload_item where status = 'accepted'),
               (select min(item_id) from exchange.upload_item where status = 'rejected')""")[0]
    with connect(warehouse) as conn:
        for item_id in (accepted_id, rejected_id):
            conn.execute("insert into exchange.upload_feedback (item_id, batch_id, status, code, message, received_at) "
                         "select item_id, batch_id || '-again', status, code, message, received_at "
                         "from exchange.upload_feedback where item_id = %s", (item_id,))
    before = _snapshot(warehouse)
    payloads_before = dict(_query(warehouse, "select item_id, payload from exchange.upload_payload"))
    accepted_ids = {i for (i,) in _query(warehouse, "select item_id from exchange.upload_item where status = 'accepted'")}
    assert len(accepted_ids) == statuses["accepted"] and len(payloads_before) == sum(statuses.values())
    last = _last_feedback_at(warehouse)

    # within the retention nothing goes; past it, the dry run counts what the prune then removes
    for days in (0, 29):
        assert prune_payloads(warehouse, 30, now=last + timedelta(days=days)).payloads_removed == 0
    dry = prune_payloads(warehouse, 30, now=last + timedelta(days=30), dry_run=True)
    assert (dry.payloads_removed, dry.feedback_removed) == (len(accepted_ids), 1)
    assert _query(warehouse, "select count(*) from exchange.upload_payload")[0][0] == len(payloads_before)
    with pytest.raises(RetentionError):
        prune_payloads(warehouse, -1, now=last)

    pruned = prune_payloads(warehouse, 0, now=last, batch_size=7)  # several batches, windows of seven rows
    assert (pruned.payloads_removed, pruned.feedback_removed) == (len(accepted_ids), 1)
    assert pruned.batches == -(-len(payloads_before) // 7)
    assert abs(pruned.bytes_removed - dry.bytes_removed) < 0.01 * dry.bytes_removed  # estimates of the same rows
    payloads_after = dict(_query(warehouse, "select item_id, payload from exchange.upload_payload"))
    assert payloads_after == {k: v for k, v in payloads_before.items() if k not in accepted_ids}
    after = _snapshot(warehouse)
    assert after == before  # reconciliation, items, hashes, last feedback, rejections, batches, watermarks
    assert len(_query(warehouse, "select * from exchange.upload_feedback where item_id = %s", (rejected_id,))) == 2
    assert _query(warehouse, "select payloads_removed, feedback_removed, cutoff from exchange.payload_prune") == [
        (len(accepted_ids), 1, last)]
    # idempotent: a second prune finds nothing and records nothing (and the rewrite keeps every row)
    again = prune_payloads(warehouse, 0, now=last, compact=True)
    assert (again.payloads_removed, again.feedback_removed, again.bytes_removed) == (0, 0, 0) and again.compacted
    assert dict(_query(warehouse, "select item_id, payload from exchange.upload_payload")) == payloads_after
    assert _query(warehouse, "select count(*) from exchange.payload_prune")[0][0] == 1
    assert _snapshot(warehouse) == before

    # the drill-down shows a pruned version without its payload, a rejected one with it
    rejected_key = _query(warehouse, "select record_key from exchange.upload_item where item_id = %s",
                          (rejected_id,))[0][0]
    history = failure_detail(warehouse, int(rejected_key))["history"]
    assert [h["payload"] is not None for h in history] == [True, True]
    history = failure_detail(warehouse, int(changed[0]))["history"]  # v1 accepted (pruned), v2 not yet sent
    assert [(h["version"], h["payload"] is None) for h in history] == [(1, True), (2, False)]
    assert history[0]["status"] == "accepted" and history[1]["status"] in ("in_flight", "queued")

    # the remote is back: in-flight and queued items go out from their payloads, rejections are resent
    set_faults(server.url)
    resent = outbox.resend(warehouse, "staff", codes=["E190"])
    assert resent > 0
    drained = _run(warehouse, server.url)
    assert drained.accepted == 4 + 2 + resent and drained.rejected == 0 and drained.left_in_flight == 0
    # a record whose accepted payload was pruned changes again: a new item, sent as an update
    key = accepted_keys[10]
    assert not _query(warehouse, "select 1 from exchange.upload_payload inner join exchange.upload_item using "
                                 "(item_id) where record_key = %s", (key,))
    upsert_staff(warehouse, [(*staff_row(int(key), rng)[:2], "又改名", *staff_row(int(key), rng)[3:])])
    unchanged_key = accepted_keys[11]
    upsert_staff(warehouse, [_query(warehouse, "select staff_id, unit_id, staff_name, id_number, sex, staff_role "
                                               "from testsrc.staff where staff_id = %s", (int(unchanged_key),))[0]])
    sent = _run(warehouse, server.url)
    assert sent.items_sent == 1 and sent.accepted == 1, "only the changed record (the hash still detects no change)"
    assert _query(warehouse, "select op, version, status from exchange.upload_item where record_key = %s "
                             "order by version desc limit 1", (key,)) == [("update", 2, "accepted")]
    remote = httpx.get(f"{server.url}/_admin/records/staff", timeout=10).json()
    data = next(json.loads(r["data"]) for r in remote if r["record_id"] == f"staff:{key}")
    assert data["name"] == "又改名"
    check_invariants(warehouse, server.url)

    # through the DAG step, with the retention from the settings: exactly the newly accepted payloads go
    newly_accepted = _query(warehouse, "select count(*) from exchange.upload_item as item inner join "
                                       "exchange.upload_payload using (item_id) where item.status = 'accepted'")[0][0]
    recon = _query(warehouse, "select * from exchange.reconciliation order by 1, 2, 3")
    settings = replace(get_settings(), source_url=warehouse.url, warehouse_url=warehouse.url,
                       extra={"VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS": "0"})
    step = steps.prune_outbox("retention-test", settings, now=_last_feedback_at(warehouse))
    assert step["payloads_removed"] == newly_accepted > 0 and step["retention_days"] == 0
    assert _query(warehouse, "select count(*) from exchange.upload_payload inner join exchange.upload_item "
                             "using (item_id) where status = 'accepted'")[0][0] == 0
    assert _query(warehouse, "select * from exchange.reconciliation order by 1, 2, 3") == recon
    assert any("Outbox retention (0 days" in line for line in steps.summary_lines({"exchange_prune": step}))
    check_invariants(warehouse, server.url)
