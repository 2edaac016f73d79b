"""实种情况统计表 against an independent pandas computation over the raw tables.

A tiny province is generated, loaded and built once for the module; each case then compares the report
query (SQL over the dbt marts) with pandas over ``raw.*`` — latest version per key, deleted rows and
deleted recipients (register status 5) excluded, region taken from the vaccinating unit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import psycopg
import pytest

from tests.reference import countable_doses, expected_shizhong
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.reports.shizhong import query_shizhong
from vaxdw.simulator import generate


@pytest.fixture(scope="module")
def built_warehouse(pg_admin):
    names = ("src_shizhong_report", "wh_shizhong_report")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=7)
    load_all(source, warehouse, pipeline_run_id="report-test")
    run_dbt(warehouse, ["build"])
    return warehouse


@pytest.fixture(scope="module")
def doses(built_warehouse) -> pd.DataFrame:
    return countable_doses(built_warehouse)


def _as_comparable(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["region_code", "vaccine_code", "dose_no", "manufacturer_code", "doses", "persons"]
    out = frame[cols].copy()
    out["dose_no"] = out["dose_no"].astype("Int64")
    out["doses"] = out["doses"].astype(int)
    out["persons"] = out["persons"].astype(int)
    for col in ("region_code", "vaccine_code", "manufacturer_code"):
        out[col] = out[col].astype("string").fillna("")
    return out.sort_values(cols[:4]).reset_index(drop=True)


CASES = [
    ("province", None, date(2020, 1, 1), date(2026, 12, 31), None),
    ("city", None, date(2025, 1, 1), date(2025, 12, 31), None),
    ("county", "610100", date(2024, 7, 1), date(2026, 6, 30), None),
    ("township", None, date(2025, 1, 1), date(2026, 10, 31), ["0202", "0101"]),
    ("unit", "610100", date(2026, 1, 1), date(2026, 10, 31), None),
]


@pytest.mark.parametrize(("level", "region", "date_from", "date_to", "vaccines"), CASES)
def test_report_equals_pandas_over_raw(built_warehouse, doses, level, region, date_from, date_to, vaccines):
    report = query_shizhong(built_warehouse, level=level, region_code=region, date_from=date_from,
                            date_to=date_to, vaccine_codes=vaccines)
    expected, total_doses, total_persons = expected_shizhong(doses, level, region, date_from, date_to, vaccines)
    assert total_doses > 0, "the case must select some doses, or it tests nothing"
    pd.testing.assert_frame_equal(_as_comparable(report.rows), _as_comparable(expected))
    assert report.total_doses == total_doses
    assert report.total_persons == total_persons


def test_cli_export_writes_the_statement(built_warehouse, doses, monkeypatch, tmp_path, capsys):
    """`vaxdw export shizhong` for a city at county level: the file reopens with pandas' totals."""
    import openpyxl

    from vaxdw.cli import main

    monkeypatch.setenv("VAXDW_SOURCE_URL", built_warehouse.url)
    monkeypatch.setenv("VAXDW_WAREHOUSE_URL", built_warehouse.url)
    code = main(["export", "shizhong", "--level", "county", "--region", "610100",
                 "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(tmp_path)])
    assert code == 0
    (path,) = tmp_path.glob("实种情况统计表_county_610100_*.xlsx")
    assert str(path) in capsys.readouterr().out
    sheet = openpyxl.load_workbook(path).worksheets[0]
    total_row = next(c.row for (c,) in sheet.iter_rows(min_col=1, max_col=1) if c.value == "合计")
    _, total_doses, total_persons = expected_shizhong(doses, "county", "610100", date(2025, 1, 1),
                                                      date(2025, 12, 31))
    assert sheet.cell(total_row, sheet.max_column - 1).value == total_doses > 0
    assert sheet.cell(total_row, sheet.max_column).value == total_persons
    filters = " ".join(str(c.value) for row in sheet.iter_rows(max_row=4) for c in row if c.value)
    assert "2025-01-01" in filters and "西安" in filters
