"""Uploads to the simulated national system under faults: after every scenario nothing is lost, nothing is
created twice, our feedback equals the remote's decisions and the reconciliation balances.

The backoff sleeps through a recorder (no real sleeping); timeouts are 0.1 s against a server that stalls
0.25 s. A seeded randomized schedule runs several hundred batches.
"""

from __future__ import annotations

import json
import random

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
from vaxdw.exchange import outbox
from vaxdw.exchange.client import UploadClient
from vaxdw.exchange.config import REMOTE_BATCH_LIMIT, REMOTE_BODY_LIMIT_BYTES
from vaxdw.exchange.signing import sign_headers
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import NIIS_VALIDATORS, create_app


@pytest.fixture
def world(pg_admin, tmp_path, request):
    name = "wh_xf_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    warehouse = fresh_warehouse(pg_admin, name)
    server = ServerThread(create_app(tmp_path / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    yield warehouse, server, tmp_path
    server.stop()


def _seed(warehouse, n: int = 40, bad_every: int = 0, seed: int = 1) -> None:
    rng = random.Random(seed)
    upsert_staff(warehouse, [staff_row(i, rng, bad=bool(bad_every) and i % bad_every == 0) for i in range(1, n + 1)])


def _run(warehouse, url, sleeps=None, after_send=None, max_batches=None):
    outbox.enqueue_changes(warehouse, TEST_STAFF)
    with UploadClient(endpoint(url)) as client:
        return outbox.send_pending(warehouse, client, TEST_STAFF, LIMITS,
                                   sleep=(sleeps.append if sleeps is not None else lambda s: None),
                                   after_send=after_send, max_batches=max_batches)


def test_clean_upload_then_only_changes_are_sent(world):
    warehouse, server, _ = world
    _seed(warehouse)
    first = _run(warehouse, server.url)
    assert first.accepted == 40 and first.batches == 10 and first.rejected == 0
    again = _run(warehouse, server.url)
    assert again.items_sent == 0, "unchanged records are not sent again"
    rng = random.Random(5)
    upsert_staff(warehouse, [(*staff_row(i, rng)[:2], f"改名{i}", *staff_row(i, rng)[3:]) for i in (3, 7)])
    changed = _run(warehouse, server.url)
    assert changed.items_sent == 2 and changed.accepted == 2
    with connect(warehouse) as conn:
        ops = dict(conn.execute("select op, count(*) from exchange.upload_item group by op").fetchall())
    assert ops == {"create": 40, "update": 2}
    check_invariants(warehouse, server.url)


def test_timeouts_and_5xx_are_retried_with_backoff(world):
    warehouse, server, _ = world
    _seed(warehouse, n=12)
    set_faults(server.url, script=["timeout", "error", "timeout", "ok", "error", "ok", "ok"], sleep_seconds=0.25)
    sleeps: list[float] = []
    result = _run(warehouse, server.url, sleeps)
    assert result.accepted == 12 and result.retries == 4
    assert sleeps == [1.0, 2.0, 4.0, 1.0]  # doubling per batch, reset for the next batch
    check_invariants(warehouse, server.url)


def test_remote_down_leaves_items_in_flight_then_next_run_drains(world):
    warehouse, server, _ = world
    _seed(warehouse, n=8)
    set_faults(server.url, script=["error"] * LIMITS.max_attempts)
    result = _run(warehouse, server.url)
    assert result.left_in_flight == 4 and result.errors
    summary = check_invariants(warehouse, server.url, drained=False)
    (row,) = summary["reconciliation"]
    assert row[3:7] == (4, 0, 0, 4)  # sent 4 = accepted 0 + rejected 0 + in flight 4
    result = _run(warehouse, server.url)
    assert result.accepted == 8
    check_invariants(warehouse, server.url)


def test_partial_rejections_are_stored_and_corrected_records_resent(world):
    warehouse, server, _ = world
    _seed(warehouse, n=30, bad_every=5)  # 6 wrong ID check characters
    set_faults(server.url, reject_rate=0.2, seed=3)
    result = _run(warehouse, server.url)
    with connect(warehouse) as conn:
        rejected = dict(conn.execute("select record_key, error_code || ' ' || error_message from exchange.upload_item "
                                     "where status = 'rejected'").fetchall())
    bad = {str(i) for i in range(5, 31, 5)}
    assert bad <= set(rejected) and all(rejected[k].startswith("E103 字段格式错误") for k in bad)
    injected = {k for k, v in rejected.items() if v.startswith("E190")}
    assert injected and result.rejected == len(rejected) == len(bad) + len(injected)
    check_invariants(warehouse, server.url)
    # correction at the source: the fixed records come back as a new version and are created
    rng = random.Random(1)
    upsert_staff(warehouse, [staff_row(int(k), rng) for k in bad])
    set_faults(server.url)
    assert _run(warehouse, server.url).accepted == len(bad)
    # rejections fixed on the remote side: resend the same content under new idempotency keys
    assert outbox.resend(warehouse, "staff", codes=["E190"]) == len(injected)
    assert _run(warehouse, server.url).accepted == len(injected)
    summary = check_invariants(warehouse, server.url)
    assert set(summary["latest_statuses"]) == {"accepted"}


def test_duplicate_delivery_out_of_order_partial_answers_and_lost_responses(world):
    warehouse, server, _ = world
    _seed(warehouse, n=40)
    set_faults(server.url, duplicate_delivery_rate=0.5, partial_rate=0.3, lost_response_rate=0.3, reorder=True,
               seed=11, sleep_seconds=0.25)
    for _ in range(6):
        _run(warehouse, server.url)
        check_invariants(warehouse, server.url, drained=False)
    set_faults(server.url)
    _run(warehouse, server.url)
    stats = httpx.get(f"{server.url}/_admin/stats").json()
    faults = {r["fault"] for r in stats["requests"]}
    assert {"duplicate", "partial", "lost"} <= faults
    check_invariants(warehouse, server.url)


def test_garbage_responses_are_retried(world):
    warehouse, server, _ = world
    _seed(warehouse, n=4)
    set_faults(server.url, script=["garbage", "garbage"])
    result = _run(warehouse, server.url)
    assert result.retries == 2 and result.accepted == 4
    check_invariants(warehouse, server.url)


def test_crash_between_sending_and_storing_feedback(world):
    warehouse, server, _ = world
    _seed(warehouse, n=10)

    def crash(batch_id, item_ids):
        raise RuntimeError("worker killed after the remote answered")

    with pytest.raises(RuntimeError):
        _run(warehouse, server.url, after_send=crash)
    summary = check_invariants(warehouse, server.url, drained=False)
    (row,) = summary["reconciliation"]
    assert row[3:7] == (4, 0, 0, 4), "the crashed batch is in flight, the rest still queued"
    assert summary["remote_records"] == 4, "the remote did create them"
    result = _run(warehouse, server.url)
    assert result.accepted == 10
    stats = httpx.get(f"{server.url}/_admin/stats").json()
    assert stats["duplicate_creates"] == 0
    check_invariants(warehouse, server.url)


def test_server_restart_keeps_its_store(world):
    warehouse, server, tmp_path = world
    _seed(warehouse, n=8)
    _run(warehouse, server.url, max_batches=1)
    server.stop()
    restarted = ServerThread(create_app(tmp_path / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    try:
        assert _run(warehouse, restarted.url).accepted == 4
        check_invariants(warehouse, restarted.url)
    finally:
        restarted.stop()
        server.thread = restarted.thread  # the fixture's stop() is then a no-op on a stopped server


def _signed_post(url: str, body: bytes, secret: str = "test-secret"):
    path = "/api/v1/upload/staff"
    headers = sign_headers("610000", secret, "POST", path, body)
    return httpx.post(url + path, content=body, headers=headers, timeout=5)


def test_malformed_payloads_get_clear_rejections(world):
    _, server, _ = world
    good = {"record_id": "staff:1", "idempotency_key": "k-good", "op": "create", "version": 1,
            "data": {"staff_id": "1", "unit_id": "u", "name": "张三", "role": "vaccinator"}}
    records = [good, {"record_id": "staff:2", "op": "create", "version": 1, "data": {}},  # no key
               {"record_id": "staff:3", "idempotency_key": "k-3", "op": "create", "version": 1,
                "data": {"staff_id": "3", "unit_id": "u", "name": "李四", "role": "doctor"}},
               {"record_id": "staff:4", "idempotency_key": "k-4", "op": "create", "version": 1,
                "data": {"staff_id": "4", "name": "王五"}}]
    answer = _signed_post(server.url, json.dumps({"batch_id": "b", "records": records}).encode()).json()
    codes = [(r["status"], r["code"]) for r in answer["results"]]
    assert codes == [("accepted", None), ("rejected", "E100"), ("rejected", "E102"), ("rejected", "E101")]
    assert "unit_id" in answer["results"][3]["message"] and "role" in answer["results"][3]["message"]
    bad_json = _signed_post(server.url, b'{"batch_id": "b", "records": [')
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "E400"
    gbk = _signed_post(server.url, json.dumps({"batch_id": "b", "records": []}, ensure_ascii=False)
                       .replace("[]", '["张"]').encode("gbk"))
    assert gbk.status_code == 400
    too_many = _signed_post(server.url, json.dumps({"batch_id": "b", "records": [good] * (REMOTE_BATCH_LIMIT + 1)})
                            .encode())
    assert too_many.status_code == 413 and too_many.json()["code"] == "E414"
    oversized = _signed_post(server.url, b'{"batch_id": "b", "records": [], "pad": "' + b"x" * REMOTE_BODY_LIMIT_BYTES + b'"}')
    assert oversized.status_code == 413 and oversized.json()["code"] == "E413"
    assert _signed_post(server.url, b"{}", secret="wrong").status_code == 401
