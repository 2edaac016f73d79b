"""计划汇总 / 计划下发 and the traceability statements on a small generated province.

Expected values come from pandas over the raw tables (or separately written SQL), not from the marts.
One module-scoped build: generate tiny (300 children) → load → dbt seed + run of the traceability marts.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.reference import latest_versions, raw_table
from vaxdw.access import AccessDenied
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.simulator import generate
from vaxdw.traceability.plan_issue import PlanIssueError, issue_plans, parse_period

PROVINCE_CDC = "6100000001"
MARTS = ["+rpt_plan_summary", "+fct_stock_movements", "+dim_vaccine_price", "+dim_cold_chain_equipment",
         "+rpt_contract_fulfilment", "+rpt_stock_on_hand", "+stg_ops__vaccination",
         "+fct_stock_counts"]


@pytest.fixture(scope="module")
def built(pg_admin):
    names = ("src_plans", "wh_plans")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=11, children=300)
    load_all(source, warehouse, pipeline_run_id="plans-test")
    run_dbt(warehouse, ["seed"])
    run_dbt(warehouse, ["run", "--select", *MARTS])
    return source, warehouse


@pytest.fixture(scope="module")
def warehouse(built):
    return built[1]


@pytest.fixture(scope="module")
def raw_plans(warehouse) -> pd.DataFrame:
    plans = latest_versions(raw_table(warehouse, "vaccine_plan"), "plan_id")
    plans["period_start"] = pd.to_datetime(plans["period_start"]).dt.date
    plans["approved"] = plans["adjusted_quantity"].fillna(plans["planned_quantity"]).astype(int)
    return plans


@pytest.fixture(scope="module")
def raw_moves(warehouse) -> pd.DataFrame:
    lines = latest_versions(raw_table(warehouse, "stock_line"), "line_id")
    docs = latest_versions(raw_table(warehouse, "stock_doc"), "doc_id")
    docs = docs[~docs["is_deleted"].astype(bool)]
    batches = latest_versions(raw_table(warehouse, "vaccine_batch"), "batch_id")
    moves = lines.merge(docs[["doc_id", "doc_type", "unit_id", "doc_date"]], on="doc_id")
    moves = moves.merge(batches[["batch_id", "expiry_date"]], on="batch_id")
    moves["signed"] = moves["doc_type"].str.startswith("IN_").map({True: 1, False: -1}) * moves["quantity"]
    moves["doc_date"] = pd.to_datetime(moves["doc_date"]).dt.date
    moves["expiry_date"] = pd.to_datetime(moves["expiry_date"]).dt.date
    moves["vaccine_code"] = moves["batch_id"].str[:4]
    return moves


def _frame(params, sql: str, args=()) -> pd.DataFrame:
    with psycopg.connect(params.url) as conn:
        cur = conn.execute(sql, args)
        return pd.DataFrame(cur.fetchall(), columns=[col.name for col in cur.description])


# -- 计划汇总 ------------------------------------------------------------------------------------------


def test_plan_summary_is_the_sum_of_the_childrens_raw_plans(warehouse, raw_plans):
    plans = raw_plans.assign(adjusted=raw_plans["adjusted_quantity"].notna())
    expected = plans.groupby(["parent_unit_id", "period_type", "period_start", "vaccine_code"]).agg(
        child_count=("unit_id", "nunique"), planned_quantity=("planned_quantity", "sum"),
        approved_quantity=("approved", "sum"), adjusted_plan_count=("adjusted", "sum"),
    ).astype(int).sort_index()
    got = _frame(warehouse, "select parent_unit_id, period_type, period_start, vaccine_code, child_count, "
                            "planned_quantity, approved_quantity, adjusted_plan_count, adjustment_quantity, "
                            "adjust_reasons from marts.rpt_plan_summary")
    got = got.set_index(["parent_unit_id", "period_type", "period_start", "vaccine_code"]).sort_index()
    assert len(expected) > 100
    pd.testing.assert_frame_equal(got[expected.columns].astype(int), expected)
    assert (got["adjustment_quantity"] == got["approved_quantity"] - got["planned_quantity"]).all()
    adjusted = got[got["adjusted_plan_count"] > 0]
    assert len(adjusted) > 0 and adjusted["adjust_reasons"].notna().all()
    assert got.loc[got["adjusted_plan_count"] == 0, "adjust_reasons"].isna().all()


# -- 计划下发 ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def month_case(warehouse, raw_plans):
    """A county CDC and plan month whose dry run both allocates and falls short (searched, largest first)."""
    monthly = raw_plans[raw_plans["period_type"] == "month"]
    totals = monthly.groupby(["period_start", "parent_unit_id"])["approved"].sum().sort_values(ascending=False)
    for month, unit in totals.index[:30]:
        for offset in (-5, -20, 10):
            ship = month + timedelta(days=offset)
            trial = issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship, dry_run=True)
            if trial.lines and trial.shortfalls:
                return unit, month, ship
    pytest.fail("no plan month with both allocations and shortfalls in the generated data")


def _available(raw_moves, unit: str, ship_date: date) -> pd.DataFrame:
    moves = raw_moves[(raw_moves["unit_id"] == unit) & (raw_moves["doc_date"] <= ship_date)]
    stock = moves.groupby(["batch_id", "vaccine_code", "expiry_date"], as_index=False)["signed"].sum()
    stock["available"] = stock["signed"].clip(lower=0)
    return stock.set_index("batch_id")


def _issued(warehouse, unit: str, period_start: date) -> pd.DataFrame:
    return _frame(warehouse, """
        select d.doc_no, d.to_unit_id, l.plan_id, l.vaccine_code, l.batch_id, l.expiry_date, l.quantity,
               l.dose_quantity, l.unit_price, l.amount, l.storage_fee, l.shipping_fee, l.is_nip
        from plan.issue_run as r
        join plan.issued_document as d on d.issue_id = r.issue_id
        join plan.issued_line as l on l.document_id = d.document_id
        where r.unit_id = %s and r.period_start = %s order by l.line_id""", (unit, period_start))


def test_issue_lines_respect_stock_expiry_fefo_and_shortfalls(warehouse, raw_plans, raw_moves, month_case):
    unit, month, ship = month_case
    result = issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship)
    lines = _issued(warehouse, unit, month)
    assert len(lines) == len(result.lines) > 0
    stock = _available(raw_moves, unit, ship)
    used = lines.groupby("batch_id")["quantity"].sum()
    # never more than the batch has, never an expired batch
    assert (used <= stock.loc[used.index, "available"]).all()
    assert (lines["expiry_date"] >= ship).all()
    # requested per plan = ceil(approved 人份 / 人份 per 支); allocated + shortfall = requested
    specs = latest_versions(raw_table(warehouse, "product_spec"), "spec_id")
    per_unit = specs.groupby("vaccine_code")["doses_per_unit"].max()
    plans = raw_plans[(raw_plans["parent_unit_id"] == unit) & (raw_plans["period_type"] == "month")
                      & (raw_plans["period_start"] == month) & (raw_plans["approved"] > 0)].copy()
    plans["requested"] = [math.ceil(a / per_unit[v])
                          for a, v in zip(plans["approved"], plans["vaccine_code"], strict=True)]
    allocated = lines.groupby("plan_id")["quantity"].sum()
    shortfall = _frame(warehouse, "select s.plan_id, s.requested_quantity, s.allocated_quantity, "
                                  "s.shortfall_quantity from plan.shortfall as s join plan.issue_run as r "
                                  "using (issue_id) where r.unit_id = %s and r.period_start = %s",
                       (unit, month)).set_index("plan_id")
    for plan in plans.itertuples():
        got = int(allocated.get(plan.plan_id, 0))
        assert got <= plan.requested
        if got < plan.requested:
            row = shortfall.loc[plan.plan_id]
            assert (row.requested_quantity, row.allocated_quantity, row.shortfall_quantity) == (
                plan.requested, got, plan.requested - got)
        else:
            assert plan.plan_id not in shortfall.index
    assert len(shortfall) > 0, "the case should show shortfalls"
    # FEFO: per vaccine, a batch is used only when every earlier-expiring usable batch is used up
    for vaccine, group in lines.groupby("vaccine_code"):
        usable = stock[(stock["vaccine_code"] == vaccine) & (stock["expiry_date"] >= ship)
                       & (stock["available"] > 0)]
        latest_used = group["expiry_date"].max()
        earlier = usable[usable["expiry_date"] < latest_used]
        assert (used.reindex(earlier.index).fillna(0) == earlier["available"]).all(), vaccine
    # a shortfall only when the vaccine's usable stock is exhausted
    for plan_id in shortfall.index:
        vaccine = plans.set_index("plan_id").loc[plan_id, "vaccine_code"]
        usable = stock[(stock["vaccine_code"] == vaccine) & (stock["expiry_date"] >= ship)]
        assert int(used.reindex(usable.index).fillna(0).sum()) == int(usable["available"].sum())
    # children in unit-code order consume the shared stock: a later child never gets an earlier expiry
    for vaccine, group in lines.groupby("vaccine_code"):
        spans = group.groupby("to_unit_id")["expiry_date"].agg(["min", "max"]).sort_index()
        assert (spans["max"].shift(1).dropna() <= spans["min"].iloc[1:]).all(), vaccine
    assert lines.groupby("to_unit_id")["doc_no"].nunique().eq(1).all()  # one document per child
    # non-NIP lines carry storage and shipping fees, NIP lines none; amounts = price × quantity
    assert lines.loc[lines["is_nip"], "storage_fee"].isna().all()
    priced = lines[lines["unit_price"].notna()]
    assert (priced["amount"] == priced["unit_price"] * priced["quantity"]).all()


def test_min_remaining_days_skips_batches_expiring_too_soon(warehouse, month_case):
    unit, month, ship = month_case
    base = issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship, dry_run=True)
    cutoff_days = sorted((line.expiry_date - ship).days for line in base.lines)[len(base.lines) // 2]
    strict = issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship, dry_run=True,
                         min_remaining_days=cutoff_days)
    assert all(line.expiry_date >= ship + timedelta(days=cutoff_days) for line in strict.lines)
    assert any(item.skipped_expired for item in strict.shortfalls)
    assert sum(line.quantity for line in strict.lines) < sum(line.quantity for line in base.lines)


def _counts(warehouse) -> tuple:
    with psycopg.connect(warehouse.url) as conn:
        return tuple(conn.execute(f"select count(*) from plan.{table}").fetchone()[0]
                     for table in ("issue_run", "issued_document", "issued_line", "shortfall"))


def test_rerun_is_refused_and_replace_gives_the_same_documents(warehouse, month_case):
    unit, month, ship = month_case
    before = _issued(warehouse, unit, month)
    if before.empty:
        issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship)
        before = _issued(warehouse, unit, month)
    counts = _counts(warehouse)
    with pytest.raises(PlanIssueError, match="已.*下发.*--replace"):
        issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship)
    assert _counts(warehouse) == counts
    again = issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship, replace=True)
    assert again.replaced
    assert _counts(warehouse) == counts
    pd.testing.assert_frame_equal(_issued(warehouse, unit, month), before)


def test_crash_mid_write_leaves_nothing(warehouse, raw_plans, month_case):
    unit, month, ship = month_case
    other = sorted(raw_plans.loc[(raw_plans["parent_unit_id"] == unit) & (raw_plans["period_type"] == "month"),
                                 "period_start"].unique())[-3]
    counts = _counts(warehouse)
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        next_id = conn.execute("select coalesce(max(line_id), 0) + 1 from plan.issued_line").fetchone()[0]
        conn.execute("""
            create function plan.fail_third_line() returns trigger language plpgsql as $$
            begin
                if new.line_id >= %s then
                    raise exception 'simulated crash';
                end if;
                return new;
            end $$""" % (next_id + 2))
        conn.execute("create trigger fail_third_line before insert on plan.issued_line "
                     "for each row execute function plan.fail_third_line()")
    try:
        with pytest.raises(psycopg.errors.RaiseException, match="simulated crash"):
            issue_plans(warehouse, unit, f"{other:%Y-%m}", "prov_admin")
        assert _counts(warehouse) == counts
        # a crash while replacing keeps the earlier issue intact
        before = _issued(warehouse, unit, month)
        with pytest.raises(psycopg.errors.RaiseException):
            issue_plans(warehouse, unit, f"{month:%Y-%m}", "prov_admin", ship_date=ship,
                        replace=True)
        pd.testing.assert_frame_equal(_issued(warehouse, unit, month), before)
    finally:
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute("drop trigger fail_third_line on plan.issued_line")
            conn.execute("drop function plan.fail_third_line()")
    assert _counts(warehouse) == counts
    with psycopg.connect(warehouse.url) as conn:
        audited = conn.execute("select count(*) from audit.export_log where report = '计划下发' "
                               "and filters->>'period' = %s", (f"{other:%Y%m}",)).fetchone()[0]
    assert audited == 0


def test_issue_is_audited_and_scoped(warehouse, month_case):
    unit, month, ship = month_case
    with psycopg.connect(warehouse.url) as conn:
        who = conn.execute("select r.issued_by, a.user_name, a.is_allowed from plan.issue_run as r "
                           "join audit.export_log as a on (a.filters->>'issue_id')::bigint = r.issue_id "
                           "where r.unit_id = %s and r.period_start = %s", (unit, month)).fetchall()
    assert who == [("prov_admin", "prov_admin", True)]
    with pytest.raises(AccessDenied):
        issue_plans(warehouse, unit, f"{month:%Y-%m}", "rabies_user", dry_run=True)
    with psycopg.connect(warehouse.url) as conn:
        refused = conn.execute("select count(*) from audit.export_log where report = '计划下发' "
                               "and user_name = 'rabies_user' and not is_allowed").fetchone()[0]
    assert refused == 1


def test_cli_dry_run_lists_shortfalls_and_writes_nothing(warehouse, month_case, monkeypatch, capsys):
    from vaxdw.cli import main

    unit, month, ship = month_case
    monkeypatch.setenv("VAXDW_SOURCE_URL", warehouse.url)
    monkeypatch.setenv("VAXDW_WAREHOUSE_URL", warehouse.url)
    counts = _counts(warehouse)
    assert main(["plan", "issue", "--unit", unit, "--period", f"{month:%Y-%m}", "--user", "prov_admin",
                 "--ship-date", f"{ship:%Y-%m-%d}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "试算（未写入）" in out and "库存不足" in out
    assert _counts(warehouse) == counts
    assert main(["plan", "issue", "--unit", unit, "--period", "2026-13", "--user", "prov_admin"]) == 2
    assert "计划周期" in capsys.readouterr().out


def test_parse_period():
    assert parse_period("2026-10").period_type == "month"
    assert parse_period("2026q4").start == date(2026, 10, 1)
    assert parse_period("2026").period_type == "year"
    with pytest.raises(PlanIssueError):
        parse_period("2026-Q5")


# -- statements: 采购合同履约 (35), 冷链设备档案表 (39), 疫苗价格 (40) ---------------------------------------


def _table(sheet, first_header: str) -> tuple[list, list[tuple]]:
    """The bottom header row starting with ``first_header`` and the body rows under it (to the 合计 row)."""
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == first_header)
    bottom = top
    while rows[bottom + 1][0] is None:  # merged group header: the labels' second row
        bottom += 1
    labels = [rows[bottom][i] if rows[bottom][i] is not None else rows[top][i] for i in range(len(rows[top]))]
    body = []
    for row in rows[bottom + 1:]:
        if row[0] is None or str(row[0]).startswith(("合计", "在用设备", "注")):
            break
        body.append(row)
    return labels, body


def _printable(sheet) -> None:
    assert sheet.print_title_rows and sheet.print_area
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) and sheet.page_setup.orientation == "landscape"


def _texts(sheet) -> str:
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


def test_contract_fulfilment_statement_matches_raw_contracts(warehouse, tmp_path):
    from vaxdw.reports.stock_exports import export_stock

    year = 2025
    path = tmp_path / "采购合同履约.xlsx"
    rows = export_stock(warehouse, "prov_admin", "contract_fulfilment", path, PROVINCE_CDC, date(year, 1, 1),
                        date(year, 12, 31))
    contracts = latest_versions(raw_table(warehouse, "purchase_contract"), "contract_id")
    deliveries = latest_versions(raw_table(warehouse, "contract_delivery"), "delivery_id")
    delivered = deliveries.groupby("contract_id")["delivered_quantity"].sum()
    contracts = contracts[contracts["contract_year"] == year].set_index("contract_id")
    contracts["delivered"] = delivered.reindex(contracts.index).fillna(0).astype(int)
    contracts["outstanding"] = (contracts["contracted_quantity"] - contracts["delivered"]).clip(lower=0)
    expected = contracts.set_index("contract_no")[["contracted_quantity", "delivered", "outstanding"]].astype(int)
    sheet = openpyxl.load_workbook(path).active
    _printable(sheet)
    assert sheet["A1"].value == "采购合同履约情况表"
    labels, body = _table(sheet, "合同号")
    assert labels[:3] == ["合同号", "合同年度", "疫苗名称"] and "履约状态" in labels
    assert rows == len(body) == len(expected) > 0
    got = pd.DataFrame(body, columns=labels).set_index("合同号")[["合同数量", "已到货", "未到货"]]
    got.columns, got.index.name = expected.columns, expected.index.name
    pd.testing.assert_frame_equal(got.sort_index().astype(int), expected.sort_index())
    totals = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "合计")
    assert totals[labels.index("合同数量")] == expected["contracted_quantity"].sum()
    assert totals[labels.index("未到货")] == expected["outstanding"].sum()


def test_equipment_archive_is_printable_and_lists_the_units_devices(warehouse, tmp_path):
    from vaxdw.reports.stock_exports import export_stock

    units = latest_versions(raw_table(warehouse, "unit"), "unit_id")
    county = sorted(units.loc[units["unit_type"] == "county_cdc", "unit_id"])[0]
    under = {county} | set(units.loc[units["parent_unit_id"] == county, "unit_id"])
    equipment = latest_versions(raw_table(warehouse, "cold_chain_equipment"), "equipment_id")
    expected = equipment[equipment["unit_id"].isin(under)]
    path = tmp_path / "冷链设备档案表.xlsx"
    rows = export_stock(warehouse, "prov_admin", "equipment", path, county, include_subordinates=True)
    sheet = openpyxl.load_workbook(path).active
    _printable(sheet)
    assert sheet["A1"].value == "冷链设备档案表"
    labels, body = _table(sheet, "设备编码")
    assert labels == ["设备编码", "所属单位", "设备类型", "品牌", "型号", "容积（升）", "购置日期", "经费来源", "启用日期",
                      "放置地点", "使用状态", "报废日期", "维修保养记录", "温度探头编号"]
    assert rows == len(body) == len(expected) > 0
    assert sorted(row[0] for row in body) == sorted(expected["equipment_id"])
    in_use = expected[expected["status"] == "在用"]["volume_l"].fillna(0).sum()
    total = next(row for row in sheet.iter_rows(values_only=True) if str(row[0]).startswith("在用设备容积合计"))
    assert total[labels.index("容积（升）")] == in_use
    text = _texts(sheet)
    assert "填表人：" in text and "负责人：" in text and "2023" in text
    own = export_stock(warehouse, "prov_admin", "equipment", tmp_path / "own.xlsx", county)
    assert own == int((expected["unit_id"] == county).sum())
    assert export_stock(warehouse, "rabies_user", "equipment", tmp_path / "r.xlsx", county, include_subordinates=True) == 0


def test_price_statement_has_history_fee_config_and_fee_lines(warehouse, raw_moves, tmp_path):
    from vaxdw.reports.stock_exports import export_stock

    path = tmp_path / "疫苗价格.xlsx"
    start, end = date(2024, 12, 1), date(2025, 1, 31)  # both fee periods (the fees change on 2025-01-01)
    rows = export_stock(warehouse, "prov_admin", "prices", path, PROVINCE_CDC, start, end)
    prices = latest_versions(raw_table(warehouse, "vaccine_price"), "price_id")
    assert rows == len(prices)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["价格历史", "储运费配置", "储运费明细"]
    for sheet in book.worksheets:
        _printable(sheet)
    labels, body = _table(book["价格历史"], "疫苗名称")
    assert len(body) == len(prices) and "单价（元/支或瓶）" in labels
    got = sorted(float(row[labels.index("单价（元/支或瓶）")]) for row in body)
    assert got == sorted(float(value) for value in prices["unit_price"])
    assert len(_table(book["储运费配置"], "出库单位级别")[1]) == 12
    # fee lines: independent pandas over raw docs, specs and the fee configuration (level prov_cdc)
    specs = latest_versions(raw_table(warehouse, "product_spec"), "spec_id")
    fees = latest_versions(raw_table(warehouse, "fee_config"), "fee_id")
    moves = raw_moves[(raw_moves["unit_id"] == PROVINCE_CDC) & (raw_moves["doc_type"] == "OUT_TRANSFER")
                      & (raw_moves["doc_date"] >= start) & (raw_moves["doc_date"] <= end)].copy()
    moves["spec_id"] = moves["batch_id"].str.split(":").str[0]
    moves = moves.merge(specs[["spec_id", "is_nip"]], on="spec_id")
    moves = moves[~moves["is_nip"].astype(bool)]
    moves["day"] = pd.to_datetime(moves["doc_date"])
    level = fees[fees["unit_level"] == "prov_cdc"].assign(
        start=lambda f: pd.to_datetime(f["effective_from"]),
        stop=lambda f: pd.to_datetime(f["effective_to"]).fillna(pd.Timestamp("2100-01-01")))
    priced = moves.merge(level, how="cross")
    priced = priced[(priced["day"] >= priced["start"]) & (priced["day"] <= priced["stop"])]
    priced = priced.assign(fee=priced["dose_quantity"] * priced["fee_per_dose"].astype(float))
    assert len(priced) == 2 * len(moves)
    storage = priced.loc[priced["fee_type"] == "storage", "fee"].sum()
    shipping = priced.loc[priced["fee_type"] == "shipping", "fee"].sum()
    fee_labels, fee_body = _table(book["储运费明细"], "出库日期")
    assert len(fee_body) == len(moves) > 0
    totals = next(row for row in book["储运费明细"].iter_rows(values_only=True) if row[0] == "合计")
    assert float(totals[fee_labels.index("储存费")]) == pytest.approx(storage)
    assert float(totals[fee_labels.index("运输费")]) == pytest.approx(shipping)
    # the rabies account sees rabies prices only
    rabies_rows = export_stock(warehouse, "rabies_user", "prices", tmp_path / "r.xlsx", PROVINCE_CDC, start, end)
    names = [row[0] for row in _table(openpyxl.load_workbook(tmp_path / "r.xlsx")["价格历史"], "疫苗名称")[1]]
    assert rabies_rows == len(names) > 0 and all("狂犬" in name for name in names)


# -- default pipeline exports ---------------------------------------------------------------------------


def test_default_exports_write_the_province_stock_statements(warehouse, raw_moves, tmp_path):
    from vaxdw.reports.exports import EXPORT_MODULES
    from vaxdw.reports.stock_statement_exports import PIPELINE_USER, default_exports

    assert "vaxdw.reports.stock_statement_exports" in EXPORT_MODULES
    end = max(raw_moves["doc_date"])
    start = date(end.year, 1, 1)
    files = default_exports(warehouse, tmp_path, start, end)
    assert [f["report"] for f in files] == ["下级库存统计表", "疫苗盘点数据表", "出入库账簿", "采购合同履约情况表",
                                            "冷链设备档案表", "疫苗价格表"]
    for f in files:
        book = openpyxl.load_workbook(f["path"])
        assert book.worksheets[0]["A1"].value == f["report"] or f["report"] == "疫苗价格表"
        _printable(book.worksheets[0])
    ledger = next(f for f in files if f["report"] == "出入库账簿")
    month = raw_moves[(raw_moves["unit_id"] == PROVINCE_CDC) & (raw_moves["doc_date"] >= end.replace(day=1))
                      & (raw_moves["doc_date"] <= end)]
    assert ledger["rows"] == len(month) > 0
    stock = next(f for f in files if f["report"] == "下级库存统计表")
    units = {row[0] for row in _table(openpyxl.load_workbook(stock["path"]).active, "单位编码")[1]}
    types = latest_versions(raw_table(warehouse, "unit"), "unit_id").set_index("unit_id")["unit_type"]
    assert PROVINCE_CDC in units and set(types[sorted(units)]) == {"prov_cdc", "city_cdc"}
    with psycopg.connect(warehouse.url) as conn:
        audited = conn.execute("select count(*) from audit.export_log where user_name = %s",
                               (PIPELINE_USER,)).fetchone()[0]
    assert audited == len(files)
