"""库存指标 and 盘点实盘数 on the generated tiny province (the build shared with test_traceability):
every indicator of rpt_stock_indicators equals a day-by-day pandas computation over the raw tables, the
injected stock-count discrepancies are exactly the ones the warehouse finds, the stocktake statement carries
the physical counts, and the indicator statement is scoped and audited."""

from __future__ import annotations

from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.conftest import FROZEN_TODAY
from tests.reference_stock import count_discrepancies, raw_movements, stock_indicators
from vaxdw.reports.stock_exports import export_stock

PROVINCE_CDC = "6100000001"
KEY = ["unit_id", "vaccine_code", "month_start"]


@pytest.fixture(scope="module")
def world(traceability_world):
    return traceability_world


@pytest.fixture(scope="module")
def moves(world) -> pd.DataFrame:
    return raw_movements(world[1])


@pytest.fixture(scope="module")
def counts(world, moves) -> pd.DataFrame:
    return count_discrepancies(world[1], moves)


def _mart(warehouse, table: str) -> pd.DataFrame:
    with psycopg.connect(warehouse.url) as conn:
        cur = conn.execute(f"select * from marts.{table}")
        return pd.DataFrame(cur.fetchall(), columns=[col.name for col in cur.description])


def _faults(source, fault_type: str) -> set[str]:
    with psycopg.connect(source.url) as conn:
        return {row[0] for row in conn.execute(
            "select row_key from sim.injected_fault where fault_type = %s", (fault_type,))}


def test_every_indicator_equals_the_pandas_computation(world, moves, counts):
    # the build's evaluation date (run_dbt passes VAXDW_EVALUATION_DATE, frozen in tests/conftest.py)
    expected = stock_indicators(moves, counts, FROZEN_TODAY).set_index(KEY).sort_index()
    got = _mart(world[1], "rpt_stock_indicators").set_index(KEY).sort_index()
    assert len(got) > 1000 and list(got.index) == list(expected.index)
    assert got["is_stockout"].any() and got["scrapped_doses"].gt(0).any() and got["expiring_soon_doses"].gt(0).any()
    assert got["count_discrepancy_doses"].fillna(0).ne(0).any()
    pairs = {"closing_doses": "closing_doses", "stockout_days": "stockout_days", "used_doses": "used",
             "issued_doses": "issued", "scrapped_doses": "scrapped", "issued_doses_window": "issued_window",
             "expiring_soon_doses": "expiring_soon_doses", "expired_doses": "expired_doses",
             "count_discrepancy_doses": "count_discrepancy_doses"}
    for column, reference in pairs.items():
        mine, theirs = got[column].astype(float), expected[reference].astype(float)
        same = (mine == theirs) | (mine.isna() & theirs.isna())
        assert same.all(), f"{column}: {(~same).sum()} rows differ, e.g. {got.index[~same.to_numpy()][:3].tolist()}"
    assert (got["is_vaccinating_unit"] == expected["is_vaccinating_unit"]).all()
    assert (got["is_stockout"].isna() == expected["stockout_days"].isna()).all()
    for column, tolerance in (("closed_vial_wastage_rate", 0.00005), ("stock_coverage_months", 0.005)):  # rounding
        mine, theirs = got[column].astype(float), expected[column].astype(float)
        assert (mine.isna() == theirs.isna()).all(), column
        assert np.allclose(mine.dropna(), theirs.dropna(), rtol=0, atol=tolerance + 1e-9), column
    assert ((got["count_date"].notna()) == expected["count_date"].notna()).all()


def test_injected_count_discrepancies_are_exactly_the_ones_found(world, counts):
    source, warehouse = world
    found = _mart(warehouse, "fct_stock_counts")
    injected = _faults(source, "stock_count_discrepancy")
    assert len(injected) > 10
    differing = found[found["has_discrepancy"]]
    recorded = differing[differing["has_count_record"]]
    assert set(recorded["count_id"].astype(int).astype(str)) == injected
    # a batch with a book balance and no count row: only the injected negative balances (nothing on the shelf)
    missing = differing[~differing["has_count_record"]]
    assert (missing["book_quantity"] < 0).all()
    negatives = _faults(source, "stock_negative_balance")
    assert set(missing["unit_id"] + ":" + missing["batch_id"]) <= negatives
    # the mart's counted and book quantities are the pandas ones, row for row
    mine = found.set_index(["unit_id", "batch_id", "count_date"])[["counted_quantity", "book_quantity"]].sort_index()
    theirs = counts.set_index(["unit_id", "batch_id", "count_date"])[["counted", "book"]].sort_index()
    assert list(mine.index) == list(theirs.index)
    assert (mine.to_numpy() == theirs.to_numpy()).all()


def test_stocktake_statement_carries_the_physical_counts(world, tmp_path):
    _, warehouse = world
    with psycopg.connect(warehouse.url) as conn:
        unit, count_date, batch_no, vaccine, counted, book = conn.execute(
            "select unit_id, count_date, batch_no, vaccine_name, counted_quantity, book_quantity "
            "from marts.fct_stock_counts "
            "where has_discrepancy and has_count_record order by count_date desc, unit_id limit 1").fetchone()
    path = tmp_path / "盘点.xlsx"
    rows = export_stock(warehouse, "prov_admin", "stocktake", path, unit, count_date.replace(day=1), count_date)
    assert rows > 0
    sheet = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(sheet) if row[0] == "规格")
    labels = [*sheet[header + 1]]
    count_col, diff_col = labels.index("盘点数"), labels.index("盘点差异")
    body = [row for row in sheet[header + 2:] if row[3] and row[0] not in ("合计",) and row[count_col] is not None]
    assert len(body) == rows  # every batch of the statement has a count (0 when not found on the shelf)
    same_batch = {(row[count_col], row[diff_col]) for row in body if row[3] == batch_no and row[1] == vaccine}
    assert (counted, counted - book) in same_batch
    assert sum(1 for row in body if row[diff_col]) >= 1


def test_indicator_statement_is_scoped_and_audited(world, tmp_path):
    _, warehouse = world
    month = date(2026, 9, 1)
    path = tmp_path / "库存指标.xlsx"
    rows = export_stock(warehouse, "rabies_user", "indicators", path, PROVINCE_CDC, date_to=month)
    with psycopg.connect(warehouse.url) as conn:
        expected = conn.execute("select count(*) from marts.rpt_stock_indicators where month_start = %s "
                                "and vaccine_code like '28%%'", (month,)).fetchone()[0]
        log = conn.execute("select user_name, report, is_allowed, row_count from audit.export_log "
                           "order by export_log_id desc limit 1").fetchone()
    assert rows == expected > 0
    assert log == ("rabies_user", "库存指标统计表", True, rows)
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "库存指标统计表" and sheet.print_title_rows
    body = [row for row in values if isinstance(row[0], str) and row[0].isdigit() and len(row[0]) == 10]
    assert len(body) == rows and all("狂犬" in row[2] for row in body)
