"""Helpers for the exchange tests: a small staff-like source relation in the warehouse, the simulated
national system in a thread, and the invariants every fault scenario must end with."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import httpx
import psycopg

from vaxdw.db import PgParams, connect
from vaxdw.exchange.categories import STAFF, Category
from vaxdw.exchange.config import Endpoint, Limits
from vaxdw.idcard import make_id

SECRET = {"610000": "test-secret"}

TEST_STAFF = replace(
    STAFF,
    requires=("testsrc.staff",),
    gate_table=None,
    changed_sql="""
        select staff_id::text, _load_id, jsonb_build_object(
            'staff_id', staff_id::text, 'unit_id', unit_id, 'name', staff_name, 'id_number', id_number,
            'sex', sex, 'role', staff_role, 'is_deleted', false)
        from testsrc.staff where _load_id > %(wm)s
    """,
)


def fresh_warehouse(pg_admin: PgParams, name: str) -> PgParams:
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    warehouse = replace(pg_admin, dbname=name)
    with connect(warehouse) as conn:
        conn.execute("""
            create schema testsrc;
            create table testsrc.staff (staff_id bigint primary key, unit_id text, staff_name text,
                                        id_number text, sex text, staff_role text, _load_id bigint not null);
        """)
    return warehouse


def staff_row(staff_id: int, rng: random.Random, bad: bool = False) -> tuple:
    sex = rng.choice("12")
    id_number = make_id("610102", date(1970 + staff_id % 30, 1 + staff_id % 12, 1 + staff_id % 28), staff_id % 997,
                        sex)
    if bad:  # a wrong check character: the national system answers E103
        id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    return (staff_id, f"61010{staff_id % 7}", f"人员{staff_id}", id_number, sex,
            rng.choice(["vaccinator", "registrar"]))


def upsert_staff(warehouse: PgParams, rows: list[tuple]) -> int:
    with connect(warehouse) as conn:
        load_id = conn.execute("select coalesce(max(_load_id), 0) + 1 from testsrc.staff").fetchone()[0]
        for row in rows:
            conn.execute(
                "insert into testsrc.staff values (%s, %s, %s, %s, %s, %s, %s) on conflict (staff_id) do update set "
                "unit_id = excluded.unit_id, staff_name = excluded.staff_name, id_number = excluded.id_number, "
                "sex = excluded.sex, staff_role = excluded.staff_role, _load_id = excluded._load_id",
                (*row, load_id))
    return load_id


def endpoint(url: str, timeout: float = 0.1) -> Endpoint:
    return Endpoint(url, "610000", SECRET["610000"], timeout_seconds=timeout)


# one batch in flight at a time: the scripted fault sequences and backoff delays are then deterministic
LIMITS = Limits(batch_size=4, max_attempts=4, backoff_seconds=1.0, backoff_cap_seconds=8.0, concurrency=1)


def set_faults(url: str, **faults) -> None:
    httpx.post(f"{url}/_admin/faults", json=faults, timeout=5).raise_for_status()


def check_invariants(warehouse: PgParams, url: str, category: Category = TEST_STAFF, drained: bool = True) -> dict:
    """Nothing lost, nothing duplicated, feedback agrees with the remote, reconciliation balances."""
    remote = {r["record_id"]: r for r in httpx.get(f"{url}/_admin/records/{category.name}", timeout=10).json()}
    idem = {r["idempotency_key"]: r for r in httpx.get(f"{url}/_admin/idem/{category.name}", timeout=10).json()}
    stats = httpx.get(f"{url}/_admin/stats", timeout=10).json()
    assert stats["duplicate_creates"] == 0, "a record was sent twice as new"
    assert all(r["create_count"] == 1 for r in remote.values())
    with connect(warehouse) as conn:
        source = {str(k) for (k,) in conn.execute("select staff_id from testsrc.staff")}
        items = conn.execute("""
            select record_key, record_id, idempotency_key, version, status, payload, error_code
            from exchange.upload_item as item
            left join exchange.upload_payload using (item_id)
            where target = %s and category = %s order by record_key, version
        """, (category.target, category.name)).fetchall()
        recon = conn.execute("select * from exchange.reconciliation where category = %s", (category.name,)).fetchall()
        # every item has its payload row (insert-only, exactly the content the hash and size were taken from),
        # except accepted items whose payload the retention pruned
        payload_mismatches = conn.execute("""
            select count(*) from exchange.upload_item as item
            left join exchange.upload_payload using (item_id)
            where (payload is null and item.status <> 'accepted') or item.content_hash <> md5(payload::text)
               or item.payload_bytes <> octet_length(payload::text)
        """).fetchone()[0]
        feedback_dupes = conn.execute(
            "select count(*) from (select item_id from exchange.upload_feedback group by item_id "
            "having count(distinct status) > 1) as conflicting").fetchone()[0]
    latest = {}
    for key, record_id, ikey, version, status, payload, code in items:
        latest[key] = (record_id, ikey, version, status, payload, code)
        if status in ("accepted", "rejected"):
            # our feedback is exactly what the remote decided for that idempotency key
            assert idem[ikey]["status"] == status, (ikey, status, idem[ikey])
            if status == "rejected":
                assert code and code == idem[ikey]["code"]
        if status in ("queued", "held_back", "superseded"):
            assert ikey not in idem, f"{ikey} reached the remote but is not marked as sent"
    assert source == set(latest), "a source record has no upload item (lost)"
    assert feedback_dupes == 0
    assert payload_mismatches == 0, "an unaccepted item without its payload row, or a payload that is not what was hashed"
    for row in recon:
        _, _, _, sent, accepted, rejected, in_flight, mismatches = row
        assert sent == accepted + rejected + in_flight and mismatches == 0, row
    accepted_versions: dict[str, int] = {}
    for key, _record_id, _ikey, version, status, _payload, _code in items:
        if status == "accepted":
            accepted_versions[key] = max(version, accepted_versions.get(key, 0))
    in_flight = {key for key, _r, _i, _v, status, _p, _c in items if status == "in_flight"}
    remote_keys = {k.split(":", 1)[1] for k in remote}
    for key, version in accepted_versions.items():
        record = remote[f"{category.name}:{key}"]
        # a newer version may have been applied remotely while its answer is still outstanding
        assert record["version"] == version or (key in in_flight and record["version"] > version), key
    # the remote holds exactly what we know was accepted, plus what is in flight (outcome not yet known)
    assert set(accepted_versions) <= remote_keys <= set(accepted_versions) | in_flight, "remote and client disagree"
    statuses = [v[3] for v in latest.values()]
    if drained:
        assert not {"queued", "in_flight"} & set(statuses), "something was left unsent"
        assert remote_keys == set(accepted_versions)
        for key, (_rid, _ikey, _version, status, payload, _code) in latest.items():
            if status == "accepted" and payload is not None:  # None: pruned after acceptance
                import json

                assert json.loads(remote[f"{category.name}:{key}"]["data"]) == payload
    return {"items": len(items), "remote_records": len(remote), "latest_statuses": statuses,
            "reconciliation": recon}
