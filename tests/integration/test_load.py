"""Extract/load on a real PostgreSQL: idempotency, quarantine accounting, increments, atomicity."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from vaxdw.contract import table, tables
from vaxdw.db import PgParams, connect
from vaxdw.extract_load import load_all, load_table

N_RECIPIENTS = 500
BAD_WEIGHTS = {7: "3.2kg", 77: "abc"}  # recipient_id -> unparseable birth weight
BAD_EXPIRY = {11: "2024-02-30"}  # vaccination_id -> impossible date


def _create_source(params: PgParams) -> None:
    with connect(params) as conn:
        conn.execute("create schema if not exists ops")
        for tbl in tables():
            conn.execute(tbl.source_ddl())
        conn.execute(
            """
            insert into ops.recipient (recipient_id, recipient_name, sex, birth_at, birth_weight, id_number,
                mother_name, mother_hbsag, managing_unit_id, register_status, is_deleted, created_at, updated_at)
            select i, '儿童' || i, (1 + i %% 2)::text, timestamp '2023-01-01' + i * interval '7 hours',
                (2500 + i %% 1500)::text, null, '母亲' || i, '2', 'U' || (i %% 7), 1, false,
                timestamp '2023-06-01' + i * interval '1 minute', timestamp '2024-01-01' + i * interval '1 minute'
            from generate_series(1, %s) as i
            """,
            (N_RECIPIENTS,),
        )
        for rid, weight in BAD_WEIGHTS.items():
            conn.execute("update ops.recipient set birth_weight = %s where recipient_id = %s", (weight, rid))
        conn.execute(
            """
            insert into ops.vaccination (vaccination_id, recipient_id, vaccine_code, dose_no, vaccinated_at,
                unit_id, expiry_date, entered_at, is_deleted, created_at, updated_at)
            select i, 1 + i %% %s, '0202', 1 + i %% 3, timestamp '2024-01-01' + i * interval '13 minutes',
                'U1', '2026-12-31', timestamp '2024-01-01' + i * interval '13 minutes' + interval '1 hour',
                false, timestamp '2024-02-01', timestamp '2024-02-01' + i * interval '1 second'
            from generate_series(1, %s) as i
            """,
            (N_RECIPIENTS, 3 * N_RECIPIENTS),
        )
        for vid, expiry in BAD_EXPIRY.items():
            conn.execute("update ops.vaccination set expiry_date = %s where vaccination_id = %s", (expiry, vid))


def _raw_fingerprint(params: PgParams) -> dict[str, tuple[int, str]]:
    result = {}
    with connect(params) as conn:
        for tbl in tables():
            cols = ", ".join(tbl.column_names)
            result[tbl.name] = conn.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, '|' order by {tbl.key}), '')) "
                f"from (select {cols} from raw.{tbl.name}) as t"
            ).fetchone()
    return result


@pytest.fixture
def source_and_warehouse(fresh_dbs):
    source, warehouse = fresh_dbs
    _create_source(source)
    return source, warehouse


def test_load_twice_gives_same_rows_and_checksums(source_and_warehouse):
    source, warehouse = source_and_warehouse
    first = load_all(source, warehouse, pipeline_run_id="run-1")
    after_first = _raw_fingerprint(warehouse)
    second = load_all(source, warehouse, pipeline_run_id="run-2")
    assert _raw_fingerprint(warehouse) == after_first
    assert sum(r.rows_loaded for r in first) == N_RECIPIENTS + 3 * N_RECIPIENTS - len(BAD_WEIGHTS) - len(BAD_EXPIRY)
    assert all(r.rows_read == 0 for r in second)


def test_quarantine_accounting_and_reasons(source_and_warehouse):
    source, warehouse = source_and_warehouse
    results = {r.table_name: r for r in load_all(source, warehouse)}
    for result in results.values():
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert results["recipient"].rows_read == N_RECIPIENTS
    assert results["recipient"].rows_quarantined == len(BAD_WEIGHTS)
    assert results["vaccination"].rows_quarantined == len(BAD_EXPIRY)
    with connect(warehouse) as conn:
        rows = conn.execute(
            "select table_name, row_key, reason from control.quarantine order by table_name, row_key"
        ).fetchall()
        control_rows = conn.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from control.load"
        ).fetchone()
    assert {(t, k) for t, k, _ in rows} == {("recipient", str(k)) for k in BAD_WEIGHTS} | {
        ("vaccination", str(k)) for k in BAD_EXPIRY
    }
    assert all(reason.startswith(("birth_weight:", "expiry_date:")) for _, _, reason in rows)
    assert control_rows[0] == control_rows[1] + control_rows[2]


def test_incremental_load_brings_only_changed_rows(source_and_warehouse):
    source, warehouse = source_and_warehouse
    load_all(source, warehouse)
    changed = {3, 50, 120, 499}
    with connect(source) as conn:
        conn.execute(
            "update ops.recipient set register_status = 2, updated_at = timestamp '2025-05-01' "
            "where recipient_id = any(%s)",
            (list(changed),),
        )
        conn.execute(
            "insert into ops.recipient (recipient_id, recipient_name, sex, birth_at, managing_unit_id, "
            "register_status, is_deleted, created_at, updated_at) values "
            "(9001, '新生儿', '1', '2025-04-30 08:00', 'U1', 1, false, '2025-05-01', '2025-05-01 10:00')"
        )
    result = load_table(source, warehouse, table("recipient"))
    assert result.rows_read == len(changed) + 1
    with connect(warehouse) as conn:
        keys = {
            row[0]
            for row in conn.execute(
                "select recipient_id from raw.recipient where _load_id = %s", (result.load_id,)
            )
        }
        versions = conn.execute(
            "select count(*) from raw.recipient where recipient_id = 3"
        ).fetchone()[0]
    assert keys == changed | {9001}
    assert versions == 2  # raw is append-only: both versions of the changed row are kept


def test_failure_mid_load_leaves_no_partial_batch(source_and_warehouse):
    source, warehouse = source_and_warehouse
    load_all(source, warehouse, only=["region"])  # creates control and raw schemas
    with connect(warehouse) as conn:
        conn.execute(
            """
            create function raw.fail_late() returns trigger language plpgsql as $$
            begin
                if new.vaccination_id = 1400 then raise exception 'disk full (simulated)'; end if;
                return new;
            end $$;
            create trigger fail_late before insert on raw.vaccination
                for each row execute function raw.fail_late();
            """
        )
    with pytest.raises(psycopg.Error, match="disk full"):
        load_table(source, warehouse, table("vaccination"))
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.vaccination").fetchone()[0] == 0
        assert conn.execute("select count(*) from control.quarantine").fetchone()[0] == 0
        status, error = conn.execute(
            "select status, error from control.load where table_name = 'vaccination'"
        ).fetchone()
        assert status == "failed" and "disk full" in error
        conn.execute("drop trigger fail_late on raw.vaccination")
    retry = load_table(source, warehouse, table("vaccination"))
    assert retry.rows_read == 3 * N_RECIPIENTS
    assert retry.rows_loaded == 3 * N_RECIPIENTS - len(BAD_EXPIRY)


def test_broken_encoding_rows_are_quarantined(pg_admin, fresh_dbs):
    """A legacy SQL_ASCII source holding GBK bytes: that row is quarantined, the rest load."""
    _, warehouse = fresh_dbs
    legacy = replace(pg_admin, dbname="legacy_sql_ascii")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute("drop database if exists legacy_sql_ascii with (force)")
        conn.execute("create database legacy_sql_ascii encoding 'SQL_ASCII' lc_collate 'C' lc_ctype 'C' "
                     "template template0")
    _create_source(legacy)
    with psycopg.connect(legacy.url) as conn:
        conn.execute("set client_encoding to 'SQL_ASCII'")
        # '张三' encoded in GBK, as a legacy client would have written it
        conn.execute(b"update ops.recipient set recipient_name = '\xd5\xc5\xc8\xfd' where recipient_id = 42")
    result = load_table(legacy, warehouse, table("recipient"))
    assert result.rows_read == N_RECIPIENTS
    assert result.rows_quarantined == len(BAD_WEIGHTS) + 1
    with connect(warehouse) as conn:
        key, reason, raw_line = conn.execute(
            "select row_key, reason, raw_line from control.quarantine where reason like '编码错误%'"
        ).fetchone()
    assert key == "42" and "UTF-8" in reason and "\\xd5\\xc5" in raw_line


def test_generated_province_day_after_loads_exactly_the_changes(fresh_dbs):
    """On a generated province: after simulate_changes, the next load reads exactly the changed rows."""
    from vaxdw.simulator import generate, simulate_changes

    source, warehouse = fresh_dbs
    generate(source, scale="tiny", seed=3)
    first = {r.table_name: r for r in load_all(source, warehouse)}
    changes = simulate_changes(source, seed=4, updates=15, new_children=6)
    second = {r.table_name: r for r in load_all(source, warehouse)}
    with connect(warehouse) as conn:
        for name, key in (("recipient", "recipient_id"), ("vaccination", "vaccination_id")):
            loaded = {row[0] for row in conn.execute(
                f"select {key} from raw.{name} where _load_id = %s", (second[name].load_id,))}
            quarantined = {int(row[0]) for row in conn.execute(
                "select row_key from control.quarantine where load_id = %s", (second[name].load_id,))}
            assert loaded | quarantined == changes.changed_ids(name)
            assert second[name].rows_read == len(changes.changed_ids(name)) > 0
            assert second[name].watermark_from == first[name].watermark_to
    assert all(second[name].rows_read == 0 for name in ("region", "unit", "staff", "vaccine"))


def test_raw_load_index_is_brin_and_old_btrees_are_replaced(source_and_warehouse):
    """raw is append-only in load order: its _load_id index is a BRIN; a warehouse made before it had a
    btree, which the next load replaces."""
    from vaxdw.extract_load.control import ensure_control

    source, warehouse = source_and_warehouse
    load_all(source, warehouse)

    def methods() -> dict[str, str]:
        with connect(warehouse) as conn:
            return dict(conn.execute(
                "select c.relname, am.amname from pg_index as i join pg_class as c on c.oid = i.indexrelid "
                "join pg_am as am on am.oid = c.relam join pg_class as t on t.oid = i.indrelid "
                "join pg_namespace as n on n.oid = t.relnamespace where n.nspname = 'raw' "
                "and t.relname = 'vaccination'").fetchall())

    expected = {"vaccination_load_brin": "brin", "vaccination_current_key": "btree",
                "vaccination_current_recipient_id": "btree", "vaccination_current_superseded": "btree"}
    assert methods() == expected
    with connect(warehouse) as conn:
        conn.execute("drop index raw.vaccination_load_brin")
        conn.execute("create index vaccination_load_idx on raw.vaccination (_load_id)")  # the old layout
    with connect(warehouse) as conn:
        ensure_control(conn)
    assert methods() == expected
    with connect(warehouse) as conn:
        plan = "\n".join(row[0] for row in conn.execute(
            "explain select count(*) from raw.vaccination where _load_id > 1000000"))
    assert "vaccination_load_brin" in plan or "Seq Scan" in plan


def _current_versions(params: PgParams) -> dict[int, tuple[int, str]]:
    """vaccination_id -> (load id, batch_no) of its current raw version."""
    with connect(params) as conn:
        return {row[0]: row[1:] for row in conn.execute(
            "select vaccination_id, _load_id, batch_no from raw.vaccination where _is_current")}


def test_each_load_marks_the_current_versions(source_and_warehouse):
    """The staging views read raw's current versions (vaxdw.extract_load.current): a later version of a row
    becomes current and its old one does not; the flags equal a ranking of every version; a raw table made
    before the flag gets it on the next load."""
    from vaxdw.extract_load.control import ensure_control
    from vaxdw.extract_load.current import mark_current_versions, recompute_current_versions

    source, warehouse = source_and_warehouse
    load_all(source, warehouse)
    first = _current_versions(warehouse)
    assert len(first) == 3 * N_RECIPIENTS - len(BAD_EXPIRY)
    with connect(source) as conn:
        conn.execute("update ops.vaccination set batch_no = 'FIXED', updated_at = timestamp '2025-01-01' "
                     "where vaccination_id in (1, 2, 3)")
    load_all(source, warehouse)
    second = _current_versions(warehouse)
    assert {vid: batch for vid, (_, batch) in second.items() if batch == "FIXED"} == {1: "FIXED", 2: "FIXED",
                                                                                     3: "FIXED"}
    assert all(second[vid][0] > first[vid][0] for vid in (1, 2, 3))
    assert {vid: row for vid, row in second.items() if vid not in (1, 2, 3)} == {
        vid: row for vid, row in first.items() if vid not in (1, 2, 3)}
    with connect(warehouse) as conn:
        (versions,) = conn.execute("select count(*) from raw.vaccination").fetchone()
        assert versions == len(second) + 3
        assert all(recompute_current_versions(conn, tbl) == (0, 0, 0) for tbl in tables())
        superseded = conn.execute(
            "select vaccination_id, _load_id, _superseded_load_id from raw.vaccination "
            "where _superseded_load_id is not null order by 1").fetchall()
        # the first versions of 1, 2, 3, superseded by the second load: the versions current after the first
        # load and no longer (_load_id <= w < _superseded_load_id) are exactly those
        assert superseded == [(vid, first[vid][0], second[vid][0]) for vid in (1, 2, 3)]
        # a version older than the current one, loaded later (a late delivery): never current
        late = conn.execute("select max(_load_id) + 1 from raw.vaccination").fetchone()[0]
        conn.execute("create temporary table late as select * from raw.vaccination "
                     "where vaccination_id = 4 and _is_current")
        conn.execute("update late set _load_id = %s, _is_current = false, "
                     "updated_at = updated_at - interval '1 day'", (late,))
        conn.execute("insert into raw.vaccination select * from late")
        assert mark_current_versions(conn, table("vaccination"), late) == (0, 0, 0)
        assert recompute_current_versions(conn, table("vaccination")) == (0, 0, 0)
        conn.execute("delete from raw.vaccination where _load_id = %s", (late,))
        # flags written wrongly (a restore's increments) are ranked again
        conn.execute("update raw.vaccination set _superseded_load_id = null")
        assert recompute_current_versions(conn, table("vaccination")) == (0, 0, 3)
    with connect(warehouse) as conn:  # the layout before the flags
        conn.execute("alter table raw.vaccination drop column _is_current, drop column _superseded_load_id")
    with connect(warehouse) as conn:
        ensure_control(conn)
    assert _current_versions(warehouse) == second
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.vaccination where _superseded_load_id is not null"
                            ).fetchone()[0] == 3
