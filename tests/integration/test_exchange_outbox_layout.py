"""The outbox's two tables: ``exchange.upload_item`` (narrow, its status changes) and ``exchange.upload_payload``
(the record as sent, written once). A warehouse with the layout before 2026-11-27 (payload in the status row)
is migrated by ``ensure_schema`` and keeps every guarantee afterwards."""

from __future__ import annotations

import random

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
from vaxdw.exchange.schema import ensure_schema
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import NIIS_VALIDATORS, create_app

# What a warehouse created before 2026-11-27 holds: the payload in exchange.upload_item, no payload table.
OLD_LAYOUT = """
drop view exchange.held_back;
alter table exchange.upload_item add column payload jsonb;
update exchange.upload_item as item set payload = upload_payload.payload
from exchange.upload_payload where upload_payload.item_id = item.item_id;
alter table exchange.upload_item alter column payload set not null;
alter table exchange.upload_item drop column payload_bytes;
drop table exchange.upload_payload;
create view exchange.held_back as
select target, category, record_key, version, hold_reason, enqueued_at, payload
from exchange.upload_item where status = 'held_back';
"""


@pytest.fixture(scope="module")
def world(pg_admin, tmp_path_factory):
    warehouse = fresh_warehouse(pg_admin, "wh_x_outbox_layout")
    server = ServerThread(create_app(tmp_path_factory.mktemp("niis") / "niis.sqlite", SECRET, NIIS_VALIDATORS,
                                     "niis")).start()
    yield warehouse, server
    server.stop()


def _run(warehouse, url):
    outbox.enqueue_changes(warehouse, TEST_STAFF)
    with UploadClient(endpoint(url)) as client:
        return outbox.send_pending(warehouse, client, TEST_STAFF, LIMITS, sleep=lambda s: None)


def _columns(conn) -> set[str]:
    return {row[0] for row in conn.execute(
        "select attname from pg_attribute where attrelid = 'exchange.upload_item'::regclass "
        "and attnum > 0 and not attisdropped")}


def test_payload_is_written_once_and_status_changes_leave_it_alone(world):
    warehouse, server = world
    rng = random.Random(1)
    upsert_staff(warehouse, [staff_row(i, rng, bad=i % 6 == 0) for i in range(1, 25)])
    set_faults(server.url, reject_rate=0.2, seed=4)
    _run(warehouse, server.url)
    with connect(warehouse) as conn:
        assert "payload" not in _columns(conn)
        # xmin of a payload row is the transaction that wrote it: the enqueue's, for every row
        writers = conn.execute("select count(distinct xmin::text) from exchange.upload_payload").fetchone()[0]
        updated = conn.execute("select count(*) from exchange.upload_item where status <> 'queued'").fetchone()[0]
    assert writers == 1 and updated == 24
    # resent items (rejections fixed on the remote side) get their own payload row with the same content
    set_faults(server.url)
    resent = outbox.resend(warehouse, "staff", codes=["E190"])
    assert resent > 0
    _run(warehouse, server.url)
    with connect(warehouse) as conn:
        copies = conn.execute("""
            select count(*) from exchange.upload_item as item
            inner join exchange.upload_payload as p on p.item_id = item.item_id
            inner join exchange.upload_payload as original on original.item_id = item.resend_of
            where p.payload = original.payload
        """).fetchone()[0]
    assert copies == resent
    check_invariants(warehouse, server.url)


def test_old_layout_is_migrated_and_keeps_every_guarantee(world):
    warehouse, server = world
    # two changed records enqueued but not sent yet when the warehouse is upgraded
    rng = random.Random(9)
    upsert_staff(warehouse, [(*staff_row(i, rng)[:2], f"改名{i}", *staff_row(i, rng)[3:]) for i in (2, 3)])
    assert outbox.enqueue_changes(warehouse, TEST_STAFF).enqueued == 2
    with connect(warehouse) as conn:
        before = conn.execute("""
            select item.item_id, item.status, item.content_hash, p.payload
            from exchange.upload_item as item inner join exchange.upload_payload as p using (item_id)
            order by item.item_id
        """).fetchall()
        feedback = conn.execute("select count(*) from exchange.upload_feedback").fetchone()[0]
        recon = conn.execute("select * from exchange.reconciliation order by 1, 2, 3").fetchall()
        conn.execute(OLD_LAYOUT)
        # an item held back by the gate must survive the migration (its payload is what the view shows)
        conn.execute("update exchange.upload_item set status = 'held_back', hold_reason = '身份证号校验位错误' "
                     "where item_id = (select max(item_id) from exchange.upload_item)")
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        assert "payload" not in _columns(conn)
        assert "payload_bytes" in _columns(conn)
        after = conn.execute("""
            select item.item_id, item.status, item.content_hash, p.payload
            from exchange.upload_item as item inner join exchange.upload_payload as p using (item_id)
            order by item.item_id
        """).fetchall()
        held = conn.execute("select record_key, payload from exchange.held_back").fetchall()
        assert conn.execute("select count(*) from exchange.upload_feedback").fetchone()[0] == feedback
        unsized = conn.execute("select count(*) from exchange.upload_item where payload_bytes is null").fetchone()[0]
        ensure_schema(conn)  # a second call finds the new layout and changes nothing
    assert [(r[0], r[2], r[3]) for r in after] == [(r[0], r[2], r[3]) for r in before]
    assert len(held) == 1 and held[0][1]["staff_id"] == held[0][0]
    assert unsized == len(before)  # migrated items: batch sizing reads the payload row
    with connect(warehouse) as conn:
        conn.execute("update exchange.upload_item set status = %s, hold_reason = null where item_id = %s",
                     (before[-1][1], before[-1][0]))
        assert conn.execute("select * from exchange.reconciliation order by 1, 2, 3").fetchall() == recon
    # after the migration: the queued changes go out (sized from their payload rows), nothing twice, balanced
    changed = _run(warehouse, server.url)
    assert changed.items_sent == 2 and changed.accepted == 2
    check_invariants(warehouse, server.url)
