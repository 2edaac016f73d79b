"""Traceability on a generated tiny province: ledgers balance, clinic use equals doses except injected
faults, the rabies-only account sees and exports only rabies rows (RLS + exporters), statements reopen.

Expected values come from pandas over the raw tables, not from the marts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.reference import latest_versions, raw_table
from vaxdw.access import AccessDenied
from vaxdw.dbt_runner import run_dbt
from vaxdw.reports.stock import query_stocktake, query_subordinate_stock
from vaxdw.reports.stock_exports import export_stock

SCOPED_MARTS = ["fct_stock_movements", "fct_stock_balances", "rpt_stock_on_hand", "rpt_stock_reconciliation", "rpt_stock_anomalies",
                "rpt_contract_fulfilment", "rpt_vaccine_plans", "dim_vaccine_price", "fct_stock_counts",
                "rpt_stock_indicators"]
PROVINCE_CDC = "6100000001"


@pytest.fixture(scope="module")
def built(traceability_world):
    return traceability_world  # tests/integration/conftest.py: built once for every traceability module


@pytest.fixture(scope="module")
def raw_moves(built) -> pd.DataFrame:
    _, warehouse = built
    lines = latest_versions(raw_table(warehouse, "stock_line"), "line_id")
    docs = latest_versions(raw_table(warehouse, "stock_doc"), "doc_id")
    docs = docs[~docs["is_deleted"].astype(bool)]
    moves = lines.merge(docs[["doc_id", "doc_type", "unit_id", "doc_date"]], on="doc_id")
    moves["sign"] = moves["doc_type"].str.startswith("IN_").map({True: 1, False: -1})
    moves["signed"] = moves["sign"] * moves["quantity"]
    moves["doc_date"] = pd.to_datetime(moves["doc_date"]).dt.date
    return moves


def _faults(source, fault_type: str) -> set[str]:
    with psycopg.connect(source.url) as conn:
        return {row[0] for row in conn.execute(
            "select row_key from sim.injected_fault where fault_type = %s", (fault_type,))}


def test_ledger_balances_for_every_unit_and_batch(built, raw_moves):
    """opening + in − out = closing for every unit × batch over a period; on-hand equals pandas' sum."""
    _, warehouse = built
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    before = raw_moves[raw_moves["doc_date"] < start].groupby(["unit_id", "batch_id"])["signed"].sum()
    during = raw_moves[(raw_moves["doc_date"] >= start) & (raw_moves["doc_date"] <= end)]
    ins = during[during["sign"] == 1].groupby(["unit_id", "batch_id"])["quantity"].sum()
    outs = during[during["sign"] == -1].groupby(["unit_id", "batch_id"])["quantity"].sum()
    upto = raw_moves[raw_moves["doc_date"] <= end].groupby(["unit_id", "batch_id"])["signed"].sum()
    expected = pd.concat([before.rename("opening"), ins.rename("in"), outs.rename("out"), upto.rename("closing")],
                         axis=1).fillna(0).astype(int)
    assert ((expected["opening"] + expected["in"] - expected["out"]) == expected["closing"]).all()
    with psycopg.connect(warehouse.url) as conn:
        got = pd.DataFrame(conn.execute(
            "select unit_id, batch_id, sum(signed_quantity)::int from marts.fct_stock_movements "
            "where doc_date <= %s group by 1, 2", (end,)).fetchall(), columns=["unit_id", "batch_id", "closing"])
        last = conn.execute(
            "select count(*) from (select distinct on (unit_id, batch_id) balance_after, "
            "sum(signed_quantity) over (partition by unit_id, batch_id) as total from marts.fct_stock_movements "
            "order by unit_id, batch_id, doc_date desc, is_in, doc_id desc, line_id desc) as t "
            "where balance_after <> total").fetchone()[0]
    assert last == 0, "the running balance after the last movement must equal the batch's total"
    merged = got.set_index(["unit_id", "batch_id"])["closing"].sort_index()
    pd.testing.assert_series_equal(merged, expected["closing"].sort_index(), check_names=False)
    # The stocktake statement for the busiest county CDC equals the same pandas computation.
    county = raw_moves[raw_moves["unit_id"].str.endswith("0001") & (raw_moves["unit_id"].str[4:6] != "00")]
    unit = county.groupby("unit_id").size().idxmax()
    report = query_stocktake(warehouse, unit, start, end).rows.set_index("batch_id")
    mine = expected.loc[unit]
    mine = mine[(mine[["opening", "in", "out"]] != 0).any(axis=1)]
    assert sorted(report.index) == sorted(mine.index)
    assert (report["closing_quantity"].astype(int) == mine.loc[report.index, "closing"]).all()
    assert (report["opening_quantity"].astype(int) == mine.loc[report.index, "opening"]).all()


@pytest.mark.parametrize("as_of", [date(2025, 6, 30), None])  # mid-history, and the last document date
def test_subordinate_stock_equals_pandas_on_any_date(built, raw_moves, as_of):
    """下级库存统计表 of the province CDC and every unit under it: the balances kept incrementally less the
    lines after the date must equal pandas' sum of every line up to the date, per unit and batch; the
    pipeline's CDC-only statement is the same rows of the CDC units."""
    _, warehouse = built
    as_of = as_of or max(raw_moves["doc_date"])
    upto = raw_moves[raw_moves["doc_date"] <= as_of].groupby(["unit_id", "batch_id"])["signed"].sum()
    expected = upto[upto != 0].astype(int).sort_index()
    report = query_subordinate_stock(warehouse, PROVINCE_CDC, as_of).rows
    got = report.assign(batch_id=report["spec_id"] + ":" + report["batch_no"]).set_index(
        ["unit_id", "batch_id"])["stock_quantity"].astype(int).sort_index()
    assert len(expected) > 100
    pd.testing.assert_series_equal(got, expected, check_names=False)
    cdc = query_subordinate_stock(warehouse, PROVINCE_CDC, as_of, unit_types=("prov_cdc", "city_cdc")).rows
    with psycopg.connect(warehouse.url) as conn:
        cdc_units = {row[0] for row in conn.execute(
            "select unit_id from marts.dim_unit where unit_type in ('prov_cdc', 'city_cdc')")}
    assert len(cdc) > 0 and set(cdc["unit_id"]) <= cdc_units
    assert len(cdc) == int(report["unit_id"].isin(cdc_units).sum())


def test_clinic_use_equals_doses_except_injected_faults(built, raw_moves):
    source, warehouse = built
    doses = latest_versions(raw_table(warehouse, "vaccination"), "vaccination_id")
    doses = doses[~doses["is_deleted"].astype(bool) & doses["manufacturer_code"].notna()]
    doses["batch_id"] = doses["vaccine_code"] + doses["manufacturer_code"] + ":" + doses["batch_no"]
    given = doses.groupby(["unit_id", "batch_id"]).size()
    use = raw_moves[raw_moves["doc_type"] == "OUT_USE"].groupby(["unit_id", "batch_id"])["dose_quantity"].sum()
    single = ~use.index.get_level_values("batch_id").str[:4].isin(["0101", "0311"])
    adult = use.index.get_level_values("batch_id").str[:2].isin(["28", "20"])
    compare = pd.concat([use[single & ~adult].rename("use"), given.rename("given")], axis=1).fillna(0)
    compare = compare[~compare.index.get_level_values("batch_id").str[:4].isin(["0101", "0311"])]
    bad = compare[compare["use"] != compare["given"]]
    without = _faults(source, "dose_without_stock_movement")
    faulted_doses = doses[doses["vaccination_id"].astype(str).isin(without)]
    explained = set(zip(faulted_doses["unit_id"], faulted_doses["batch_id"], strict=True))
    unknown = doses[doses["vaccination_id"].astype(str).isin(_faults(source, "unknown_vaccine_code"))]
    explained |= set(zip(unknown["unit_id"], unknown["batch_id"], strict=True))
    # a dose whose batch number was blanked afterwards (quality fault missing_batch_no) still used stock
    doses_all = latest_versions(raw_table(warehouse, "vaccination"), "vaccination_id")
    blanked = doses_all[doses_all["vaccination_id"].astype(str).isin(_faults(source, "missing_batch_no"))]
    blanked_products = set(zip(blanked["unit_id"], blanked["vaccine_code"] + blanked["manufacturer_code"].fillna(""),
                               strict=True))
    unexplained = {
        (unit, batch) for unit, batch in set(bad.index) - explained - _quarantined_pairs(warehouse)
        if (unit, batch.split(":")[0]) not in blanked_products
    }
    assert len(without) > 0
    assert unexplained == set()
    # every injected dose fault is listed by the anomaly mart
    with psycopg.connect(warehouse.url) as conn:
        listed = set(conn.execute(
            "select unit_id, vaccine_code || left(split_part(batch_id, ':', 1), 0) from marts.rpt_stock_anomalies "
            "where anomaly_type = 'doses_without_stock_movement'").fetchall())
        negatives = {f"{u}:{b}" for u, b in conn.execute(
            "select unit_id, batch_id from marts.rpt_stock_anomalies where anomaly_type = 'negative_balance'")}
    assert {(u, b[:4]) for u, b in explained if b[:4] in {v for _, v in listed}} <= listed | explained
    assert _faults(source, "stock_negative_balance") <= negatives


def _quarantined_pairs(warehouse) -> set[tuple[str, str]]:
    """Doses set aside on load (unparseable expiry): their stock use has no dose in the marts."""
    with psycopg.connect(warehouse.url) as conn:
        rows = conn.execute("select row_data from control.quarantine where table_name = 'vaccination'").fetchall() \
            if conn.execute("select to_regclass('control.quarantine')").fetchone()[0] else []
    pairs = set()
    for (data,) in rows:
        if isinstance(data, dict) and data.get("manufacturer_code"):
            pairs.add((data["unit_id"], f"{data['vaccine_code']}{data['manufacturer_code']}:{data['batch_no']}"))
    return pairs


def _rows_as(warehouse, user: str, table: str) -> list[tuple]:
    with psycopg.connect(replace(warehouse, user=user, password="").url) as conn:
        return conn.execute(f"select vaccine_code from marts.{table}").fetchall()


def assert_rabies_only(warehouse, table: str) -> None:
    rows = _rows_as(warehouse, "rabies_user", table)
    with psycopg.connect(warehouse.url) as conn:
        expected = conn.execute(f"select count(*) from marts.{table} where vaccine_code like '28%%'").fetchone()[0]
    assert expected > 0, f"{table}: no rabies rows to see"
    assert len(rows) == expected, f"{table}: rabies account sees {len(rows)} rows, expected {expected}"
    assert all(code.startswith("28") for (code,) in rows), f"{table}: non-rabies rows visible"


@pytest.mark.parametrize("table", SCOPED_MARTS)
def test_rabies_account_sees_only_rabies_rows(built, table):
    assert_rabies_only(built[1], table)


def test_rabies_account_sees_no_equipment_and_no_unscoped_marts(built):
    _, warehouse = built
    with psycopg.connect(replace(warehouse, user="rabies_user").url) as conn:
        assert conn.execute("select count(*) from marts.dim_cold_chain_equipment").fetchone()[0] == 0
    with psycopg.connect(replace(warehouse, user="xian_cdc").url) as conn:
        regions = {row[0][:4] for row in conn.execute("select region_code from marts.dim_cold_chain_equipment")}
    assert regions == {"6101"}
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _rows_as(warehouse, "rabies_user", "fct_vaccinations")


def test_check_fails_when_a_policy_is_dropped_or_rls_disabled(built):
    _, warehouse = built
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        conn.execute("drop policy access_scope on marts.rpt_stock_anomalies")
    try:
        with pytest.raises(AssertionError):
            assert_rabies_only(warehouse, "rpt_stock_anomalies")
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute("alter table marts.rpt_stock_anomalies disable row level security")
        with pytest.raises(AssertionError):
            assert_rabies_only(warehouse, "rpt_stock_anomalies")
    finally:
        run_dbt(warehouse, ["run-operation", "access_scoped_operation", "--args",
                            "{relation: marts.rpt_stock_anomalies}"])
    assert_rabies_only(warehouse, "rpt_stock_anomalies")


def _scoped_views(warehouse) -> list[str]:
    with psycopg.connect(warehouse.url) as conn:
        return [name for (name,) in conn.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = 'marts' and c.relkind = 'v' and c.relname = any(%s) order by 1",
            (SCOPED_MARTS,))]


def test_scoped_views_filter_themselves_behind_a_security_barrier(built):
    """The scoped marts that are views (fct_stock_movements, fct_stock_balances, rpt_stock_on_hand: thin layers
    over narrow tables) filter in their own where clause, which row-level security cannot do for them: as the rabies
    account (vaccine scope), as a city account (region scope), and as the owner (everything); a view
    without its filter is caught; security_barrier keeps a login's functions from seeing rows first."""
    _, warehouse = built
    views = _scoped_views(warehouse)
    assert {"fct_stock_movements", "fct_stock_balances", "rpt_stock_on_hand"} <= set(views)
    with psycopg.connect(warehouse.url) as conn:
        options = dict(conn.execute(
            "select c.relname, c.reloptions from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
            "where n.nspname = 'marts' and c.relname = any(%s)", (views,)).fetchall())
    for view in views:
        assert "security_barrier=true" in (options[view] or []), view
        with psycopg.connect(warehouse.url) as conn:
            total, xian = conn.execute(
                f"select count(*), count(*) filter (where region_code like '6101%%') from marts.{view}").fetchone()
        with psycopg.connect(replace(warehouse, user="xian_cdc", password="").url) as conn:
            seen = conn.execute(f"select count(*), bool_and(region_code like '6101%%') from marts.{view}").fetchone()
        assert total > xian > 0 and seen == (xian, True), view
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        definition = conn.execute("select pg_get_viewdef('marts.fct_stock_balances'::regclass)").fetchone()[0]
        unfiltered = definition.rsplit("FROM final", 1)[0] + "FROM final"  # the outer where is the filter
        conn.execute(f"create or replace view marts.fct_stock_balances as {unfiltered}")
    try:
        with pytest.raises(AssertionError):
            assert_rabies_only(warehouse, "fct_stock_balances")
        assert_rabies_only(warehouse, "rpt_stock_on_hand")  # it reads the balances, and filters on its own
    finally:
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute("create or replace view marts.fct_stock_balances with (security_barrier = true) "
                         f"as {definition}")
    assert_rabies_only(warehouse, "fct_stock_balances")
    assert_rabies_only(warehouse, "rpt_stock_on_hand")


def test_export_as_rabies_user_contains_only_rabies_rows_and_is_audited(built, tmp_path):
    _, warehouse = built
    path = tmp_path / "狂犬_下级库存.xlsx"
    rows = export_stock(warehouse, "rabies_user", "subordinate_stock", path, PROVINCE_CDC, date_to=date(2026, 10, 31))
    assert rows > 0
    sheet = openpyxl.load_workbook(path).active
    names = [row[3] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str) and
             row[0].isdigit() and len(row[0]) == 10]
    assert len(names) == rows and all("狂犬" in name for name in names)
    with pytest.raises(AccessDenied, match="无权导出疫苗 0202"):
        export_stock(warehouse, "rabies_user", "register", tmp_path / "x.xlsx", PROVINCE_CDC,
                     date(2026, 1, 1), date(2026, 3, 31), vaccine_codes=["0202"])
    with psycopg.connect(warehouse.url) as conn:
        log = conn.execute("select user_name, report, is_allowed, row_count, reason from audit.export_log "
                           "order by export_log_id").fetchall()
    assert log[-2][:4] == ("rabies_user", "下级库存统计表", True, rows)
    assert log[-1][2] is False and "0202" in log[-1][4]


def test_register_is_printable_with_repeated_headers_and_signatures(built, tmp_path):
    _, warehouse = built
    path = tmp_path / "登记表.xlsx"
    rows = export_stock(warehouse, "prov_admin", "register", path, PROVINCE_CDC, date(2026, 1, 1),
                        date(2026, 1, 31))
    assert rows > 0
    sheet = openpyxl.load_workbook(path).active
    assert sheet.print_title_rows and sheet.print_area
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) and sheet.page_setup.orientation == "landscape"
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "经办人：" in text and "负责人：" in text and "疫苗出入库登记表" in text
    header = [c for c in next(r for r in sheet.iter_rows(values_only=True) if r[0] == "日期") if c]
    assert header[:4] == ["日期", "类型", "疫苗名称", "生产企业"]
