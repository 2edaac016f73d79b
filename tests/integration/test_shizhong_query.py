"""query_shizhong (SQL over marts.fct_vaccinations) against pandas over the same fact rows.

Built once from the hand-made raw rows of tests/integration/dbt_rows.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import psycopg
import pytest

from tests.integration import dbt_rows
from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.reports.shizhong import LEVEL_COLUMNS, query_shizhong

KEYS = ["region_code", "vaccine_code", "dose_no", "manufacturer_code"]


@pytest.fixture(scope="module")
def warehouse(pg_admin, tmp_path_factory):
    name = "wh_shizhong_query_rows"
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    params = replace(pg_admin, dbname=name)
    dbt_rows.create_raw_tables(params)
    dbt_rows.insert_rows(params)
    run_dbt(params, ["build"], target_path=tmp_path_factory.mktemp("dbt") / "target")
    return params


@pytest.fixture(scope="module")
def facts(warehouse) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cursor = conn.execute("select * from marts.fct_vaccinations")
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def _expected(facts, level, region, date_from, date_to, vaccines=None, groups=None, manufacturers=None):
    frame = facts[(facts["vaccination_date"] >= date_from) & (facts["vaccination_date"] <= date_to)]
    if region:
        place = ["unit_province_code", "unit_city_code", "unit_county_code", "unit_township_code", "unit_id"]
        frame = frame[(frame[place] == region).any(axis=1)]
    if vaccines:
        frame = frame[frame["vaccine_code"].isin(vaccines)]
    if groups:
        frame = frame[frame["register_group"].isin(groups)]
    if manufacturers:
        frame = frame[frame["manufacturer_code"].isin(manufacturers)]
    code_column = LEVEL_COLUMNS[level][0]
    grouped = (
        frame.assign(region_code=frame[code_column], dose_no=frame["effective_dose_no"])
        .groupby(KEYS, dropna=False)
        .agg(doses=("vaccination_id", "size"), persons=("recipient_id", "nunique"))
        .reset_index()
    )
    return grouped, len(frame), frame["recipient_id"].nunique()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[KEYS + ["doses", "persons"]].copy()
    for col in ("region_code", "vaccine_code", "manufacturer_code"):
        out[col] = out[col].astype("string").fillna("")
    out["dose_no"] = out["dose_no"].astype("Int64")
    out[["doses", "persons"]] = out[["doses", "persons"]].astype("int64")
    return out.sort_values(KEYS).reset_index(drop=True)


CASES = [
    ("province", None, date(2023, 1, 1), date(2025, 12, 31), {}),
    ("city", "610100", date(2024, 1, 1), date(2024, 12, 31), {}),
    ("county", "610102", date(2024, 1, 11), date(2024, 10, 1), {"vaccines": ["0202", "2201"]}),
    ("township", None, date(2023, 1, 1), date(2025, 12, 31), {"groups": ["in_register"]}),
    ("township", "610102004", date(2023, 1, 1), date(2025, 12, 31), {}),
    ("unit", dbt_rows.CLINIC_B, date(2023, 1, 1), date(2025, 12, 31), {"manufacturers": ["M01"]}),
]


@pytest.mark.parametrize(("level", "region", "date_from", "date_to", "filters"), CASES)
def test_query_equals_pandas(warehouse, facts, level, region, date_from, date_to, filters):
    report = query_shizhong(
        warehouse,
        level=level,
        region_code=region,
        date_from=date_from,
        date_to=date_to,
        vaccine_codes=filters.get("vaccines"),
        register_groups=filters.get("groups"),
        manufacturer_codes=filters.get("manufacturers"),
    )
    expected, total_doses, total_persons = _expected(
        facts, level, region, date_from, date_to,
        filters.get("vaccines"), filters.get("groups"), filters.get("manufacturers"),
    )
    assert total_doses > 0, "the case must select some doses"
    pd.testing.assert_frame_equal(_comparable(report.rows), _comparable(expected))
    assert report.total_doses == total_doses == int(report.rows["doses"].sum())
    assert report.total_persons == total_persons
    assert list(report.rows.columns[:9]) == [
        "region_code", "region_name", "vaccine_code", "vaccine_name", "dose_no",
        "manufacturer_code", "manufacturer_name", "doses", "persons",
    ]


def test_header_filters_and_separate_non_vaccine_rows(warehouse):
    report = query_shizhong(warehouse, "county", "610102", date(2024, 1, 1), date(2024, 1, 31),
                            register_groups=["in_register"])
    assert report.filters["统计层级"] == "县(区)"
    assert report.filters["统计范围"] == "新城区（610102）"
    assert report.filters["接种日期"] == "2024-01-01 至 2024-01-31"
    assert report.filters["在册情况"] == "在册"
    assert report.filters["疫苗"] == "全部"
    # HBIG sorts last and is flagged
    assert report.rows.iloc[-1]["vaccine_code"] == "3901"
    assert bool(report.rows.iloc[-1]["is_non_vaccine_product"])
    assert not report.rows.iloc[:-1]["is_non_vaccine_product"].any()
    hepb1 = report.rows[(report.rows["vaccine_code"] == "0202") & (report.rows["dose_no"] == 1)].iloc[0]
    assert (hepb1["region_name"], hepb1["doses"], hepb1["persons"]) == ("新城区", 2, 2)
    # persons are distinct over the whole report: child 1 had HepB1 and HBIG in January
    assert report.total_persons == 2 and report.total_doses == 3
    row_persons = report.row_persons.set_index(["region_code", "vaccine_code", "manufacturer_code"])
    assert row_persons.loc[("610102", "0202", "M01"), "persons"] == 2


def test_user_values_are_parameters_not_sql(warehouse):
    report = query_shizhong(warehouse, "unit", "x' or '1'='1", date(2020, 1, 1), date(2030, 1, 1))
    assert report.rows.empty and report.total_doses == 0
    with pytest.raises(ValueError):
        query_shizhong(warehouse, "village", None, date(2024, 1, 1), date(2024, 1, 31))
