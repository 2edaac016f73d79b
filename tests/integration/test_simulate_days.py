"""``simulate_days`` against a real PostgreSQL: determinism, every kind of daily change, incremental loads."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from vaxdw import contract
from vaxdw.db import PgParams, connect
from vaxdw.simulator import generate
from vaxdw.simulator.days import simulate_days
from vaxdw.simulator.traceability import doses_per_unit

AS_OF = date(2026, 10, 31)
START = datetime(2026, 11, 1)


def _hashes(params: PgParams) -> dict[str, str]:
    """Order-independent content checksum per ops table, the manifest and the run row."""
    result = {}
    with connect(params) as conn:
        for qualified in [f"ops.{t.name}" for t in contract.tables()] + ["sim.injected_fault", "sim.generation_run"]:
            (result[qualified],) = conn.execute(
                f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {qualified} t"
            ).fetchone()
    return result


def test_three_days_at_once_equal_three_single_days(fresh_dbs):
    once, stepwise = fresh_dbs
    for params in fresh_dbs:
        generate(params, scale="tiny", seed=21, children=600)
    summary = simulate_days(once, 3)
    steps = [simulate_days(stepwise, 1) for _ in range(3)]
    assert [day.day for day in summary.days] == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert [s.days[0].day for s in steps] == [day.day for day in summary.days]
    assert _hashes(once) == _hashes(stepwise)
    with connect(once) as conn:
        assert conn.execute("select as_of from sim.generation_run").fetchone()[0] == date(2026, 11, 3)
        assert conn.execute("select count(*) from sim.simulated_day").fetchone()[0] == 3
    # a further day continues after the last one: never the same day twice
    assert simulate_days(once, 1).days[0].day == date(2026, 11, 4)


@pytest.fixture(scope="module")
def five_days(pg_admin):
    from dataclasses import replace

    import psycopg

    name = "src_simulate_days_five"
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    params = replace(pg_admin, dbname=name)
    generate(params, scale="tiny", seed=31)
    summary = simulate_days(params, 5, township_merge_on=date(2026, 11, 3))
    return params, summary


def _one(params: PgParams, sql: str, *args):
    with connect(params) as conn:
        return conn.execute(sql, args).fetchone()[0]


def test_births_with_newborn_records_and_birth_doses(five_days):
    params, _ = five_days
    births = _one(params, "select count(*) from ops.recipient where birth_at >= %s and created_at >= %s", START,
                  START)
    assert births > 0
    assert _one(params, "select count(*) from ops.newborn where birth_at >= %s", START) > 0
    hepb1_24h = _one(params, """
        select count(*) from ops.vaccination v join ops.recipient r using (recipient_id)
        join ops.unit u on u.unit_id = v.unit_id
        where r.birth_at >= %s and v.vaccine_code like '02%%' and v.dose_no = 1 and u.unit_type = 'obstetric'
          and v.vaccinated_at - r.birth_at between interval '0' and interval '24 hours'""", START)
    assert hepb1_24h > 0
    assert _one(params, "select count(*) from ops.register_change c join ops.recipient r using (recipient_id) "
                        "where r.birth_at >= %s and c.reason = 'created'", START) > 0


def test_day_doses_and_late_entries(five_days):
    params, summary = five_days
    daily = _one(params, "select count(*) from ops.vaccination where created_at >= %s", START)
    assert daily >= 5 * 5
    late = _one(params, """select count(*) from ops.vaccination where created_at >= %s
        and vaccinated_at::date < entered_at::date and entered_at::date = created_at::date
        and updated_at::date = created_at::date""", START)
    assert late > 0
    # every row written by day D carries timestamps inside D
    for day in summary.days:
        start = datetime.combine(day.day, datetime.min.time())
        end = start + timedelta(days=1)
        written = _one(params, "select count(*) from ops.vaccination where updated_at >= %s and updated_at < %s",
                       start, end)
        assert written == day.inserted["vaccination"] + day.updated["vaccination"]


def test_old_records_corrected_fixed_and_soft_deleted(five_days):
    params, _ = five_days
    corrected = _one(params, """select count(*) from ops.vaccination v where v.created_at < %s
        and v.updated_at >= %s and not v.is_deleted and v.vaccinated_at >= %s
        and exists (select 1 from ops.operation_log l where l.table_name = 'vaccination'
                    and l.row_key = v.vaccination_id::text and l.operation = 'update' and l.operated_at >= %s)""",
                     START, START, START - timedelta(days=730), START)
    assert corrected > 0
    deleted_doses = _one(params, "select count(*) from ops.vaccination where is_deleted and created_at < %s "
                                 "and updated_at >= %s", START, START)
    assert deleted_doses > 0
    deleted_recipients = _one(params, "select count(*) from ops.recipient where is_deleted and register_status = 5 "
                                      "and created_at < %s and updated_at >= %s", START, START)
    assert deleted_recipients > 0
    for column in ("id_number", "residence_township_code"):
        fixed = _one(params, """select count(*) from ops.recipient r join ops.operation_log l
            on l.table_name = 'recipient' and l.row_key = r.recipient_id::text
            where l.changed_columns = %s and l.operated_at >= %s and r.updated_at >= %s and r.created_at < %s""",
                     column, START, START, START)
        assert fixed > 0, column
    # a fixed township is a current one
    stale = _one(params, """select count(*) from ops.recipient r join ops.operation_log l
        on l.table_name = 'recipient' and l.row_key = r.recipient_id::text
        join ops.region g on g.region_code = r.residence_township_code
        where l.changed_columns = 'residence_township_code' and l.operated_at >= %s and g.valid_to is not null""",
                 START)
    assert stale == 0


def test_register_moves_and_township_merge(five_days):
    params, summary = five_days
    for reason in ("transfer_in", "transfer_out"):
        assert _one(params, "select count(*) from ops.register_change where reason = %s and created_at >= %s",
                    reason, START) > 0, reason
    accepted = _one(params, """select count(*) from ops.migration m join ops.recipient r using (recipient_id)
        where m.migration_status = 'accepted' and m.created_at >= %s and r.managing_unit_id = m.to_unit_id
        and r.register_status = 10""", START)
    assert accepted > 0
    merge_day = date(2026, 11, 3)
    assert [day.merges for day in summary.days if day.day == merge_day][0]
    old_code, new_code = _one(params, "select array[old_code, new_code] from ops.township_change "
                                      "where effective_date = %s and change_type = 'merge'", merge_day)
    assert _one(params, "select valid_to from ops.region where region_code = %s", old_code) == merge_day
    assert _one(params, "select valid_to from ops.region where region_code = %s", new_code) is None
    # no birth after the merge day in the merged township's code
    assert _one(params, "select count(*) from ops.recipient where birth_at >= %s and residence_township_code = %s",
                datetime.combine(merge_day, datetime.min.time()), old_code) == 0


def test_stock_documents_match_the_days_doses(five_days):
    params, _ = five_days
    per_unit = doses_per_unit()
    with connect(params) as conn:
        doses = conn.execute("""
            select unit_id, vaccinated_at::date, vaccine_code || manufacturer_code || ':' || batch_no, count(*)
            from ops.vaccination v
            where created_at >= %s and not is_deleted and manufacturer_code is not null and batch_no is not null
              and not exists (select 1 from sim.injected_fault f where f.table_name = 'vaccination'
                              and f.row_key = v.vaccination_id::text)
              and not exists (select 1 from ops.operation_log l where l.table_name = 'vaccination'
                              and l.row_key = v.vaccination_id::text)
            group by 1, 2, 3""", (START,)).fetchall()
        used = dict(((unit, day, batch), qty) for unit, day, batch, qty in conn.execute("""
            select d.unit_id, d.doc_date, l.batch_id, sum(l.quantity)
            from ops.stock_doc d join ops.stock_line l using (doc_id)
            where d.doc_type = 'OUT_USE' and d.updated_at >= %s group by 1, 2, 3""", (START,)).fetchall())
        inbound = conn.execute("select count(*) from ops.stock_doc where doc_type = 'IN_TRANSFER' "
                               "and updated_at >= %s", (START,)).fetchone()[0]
        new_batches = conn.execute("select count(*) from ops.vaccine_batch where updated_at >= %s",
                                   (START,)).fetchone()[0]
    assert doses and inbound > 0 and new_batches > 0
    matched = sum(1 for unit, day, batch, count in doses
                  if used.get((unit, day, batch), 0) >= math.ceil(count / per_unit[batch.split(":")[0]]))
    assert matched == len(doses)


def test_visits_for_the_days_doses(five_days):
    params, _ = five_days
    for table in ("visit_registration", "observation", "vaccination_sign"):
        assert _one(params, f"select count(*) from ops.{table} where created_at >= %s", START) > 0, table
    orphans = _one(params, """select count(*) from ops.visit_registration r where r.created_at >= %s
        and not exists (select 1 from ops.vaccination v where v.recipient_id = r.recipient_id
                        and v.unit_id = r.unit_id and v.vaccinated_at::date = r.visit_date)""", START)
    assert orphans == 0


def test_loads_read_exactly_each_day(fresh_dbs):
    """(dbt builds after simulated days: tests/integration/test_incremental_invariant.py)"""
    from vaxdw.extract_load import load_all

    source, warehouse = fresh_dbs
    generate(source, scale="tiny", seed=41)
    load_all(source, warehouse)
    for day in (date(2026, 11, 1), date(2026, 11, 2)):
        simulate_days(source, 1)
        results = {r.table_name: r for r in load_all(source, warehouse)}
        start = datetime.combine(day, datetime.min.time())
        with connect(source) as src, connect(warehouse) as wh:
            for table in contract.tables():
                result = results[table.name]
                assert result.rows_read == result.rows_loaded + result.rows_quarantined
                expected = {str(key) for (key,) in src.execute(
                    f"select {table.key} from ops.{table.name} where {table.watermark} >= %s "
                    f"and {table.watermark} < %s", (start, start + timedelta(days=1)))}
                loaded = {str(key) for (key,) in wh.execute(
                    f"select {table.key} from raw.{table.name} where _load_id = %s", (result.load_id,))}
                quarantined = {key for (key,) in wh.execute(
                    "select row_key from control.quarantine where load_id = %s", (result.load_id,))}
                assert loaded | quarantined == expected, table.name
                assert result.rows_read == len(expected), table.name
        assert results["vaccination"].rows_read > 0 and results["stock_line"].rows_read > 0


def test_month_end_stocktake(fresh_dbs):
    source, _ = fresh_dbs
    generate(source, scale="tiny", seed=51, children=400, as_of=date(2026, 11, 29))
    day = simulate_days(source, 1).days[0]
    assert day.day == date(2026, 11, 30)
    with connect(source) as conn:
        counted = conn.execute("""select u.unit_type, count(*) from ops.stock_count c join ops.unit u using (unit_id)
            where c.count_date = %s group by 1""", (day.day,)).fetchall()
        # a CDC's count equals its book balance (IN − OUT over all its documents), the day's included
        mismatched = conn.execute("""
            with book as (
                select d.unit_id, l.batch_id,
                    sum(case when d.doc_type like 'IN\\_%%' then l.quantity else -l.quantity end) as balance
                from ops.stock_doc d join ops.stock_line l using (doc_id) group by 1, 2)
            select count(*) from ops.stock_count c join book using (unit_id, batch_id)
            where c.count_date = %s and c.counted_quantity <> book.balance
              and not exists (select 1 from sim.injected_fault f where f.fault_type = 'stock_count_discrepancy'
                              and f.row_key = c.count_id::text)""", (day.day,)).fetchone()[0]
    assert {unit_type for unit_type, _ in counted} == {"prov_cdc", "city_cdc", "county_cdc"}
    assert mismatched == 0
