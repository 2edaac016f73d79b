"""Coverage-family reports (issue 3 part A) against independent pandas computations over the raw tables.

One tiny province (seed 7) is generated with ``as_of`` 2024-12-31 — so that children born in the IPV
catch-up campaign's birth window (2016-03-01 … 2019-09-30) exist and the campaign's doses are in the
data — loaded and built once for the module. Each case compares a report query (SQL over the dbt marts)
with pandas over ``raw.*`` (tests/reference_coverage.py), for several filter sets and browse levels.
The last test adds a catch-up dose in the source and shows the IPV report change after load + build.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.conftest import FROZEN_TODAY
from tests.reference_coverage import (
    LEVELS,
    SEEDS,
    Raw,
    add_months,
    child_scheduled_doses,
    md5_order,
    resolve_township_codes,
)
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.reports.case_sample import draw_sample, sample_members
from vaxdw.reports.cohort_coverage import query_cohort_coverage
from vaxdw.reports.coverage_monitoring import dropout_totals, query_coverage_monitoring
from vaxdw.reports.entry_timeliness import query_entry_timeliness
from vaxdw.reports.ipv_catchup import query_ipv_catchup
from vaxdw.reports.shizhong import query_shizhong
from vaxdw.simulator import generate

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def dbs(pg_admin):
    names = ("src_coverage_reports", "wh_coverage_reports")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=7, as_of=AS_OF)
    load_all(source, warehouse, pipeline_run_id="coverage-test")
    run_dbt(warehouse, ["build"])
    return source, warehouse


@pytest.fixture(scope="module")
def warehouse(dbs):
    return dbs[1]


@pytest.fixture(scope="module")
def raw(warehouse) -> Raw:
    return Raw(warehouse)


def _scoped(frame: pd.DataFrame, region: str | None) -> pd.DataFrame:
    if not region:
        return frame
    return frame[(frame[list(LEVELS)] == region).any(axis=1)]


def _compare(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str]) -> None:
    def norm(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[keys + values].copy()
        for key in keys:
            out[key] = out[key].astype("string").fillna("")
        for value in values:
            out[value] = out[value].astype("int64")
        return out.sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(actual), norm(expected), check_dtype=False)


# ---------------------------------------------------------------------------------------------- 实种及时

def expected_entry(raw: Raw, level, region, vaccination=(None, None), birth=(None, None), entry=(None, None),
                   vaccines=None, register_groups=None) -> pd.DataFrame:
    d = _scoped(raw.doses, region).copy()
    vacc = pd.to_datetime(d["vaccinated_at"])
    entered = pd.to_datetime(d["entered_at"])
    d["entry_date"] = entered.dt.date
    for column, (start, end) in (("vaccination_date", vaccination), ("birth_date", birth), ("entry_date", entry)):
        if start:
            d = d[d[column] >= start]
        if end:
            d = d[d[column] <= end]
    if vaccines:
        d = d[d["vaccine_code"].isin(vaccines)]
    if register_groups:
        d = d[d["register_group"].isin(register_groups)]
    vacc, entered = pd.to_datetime(d["vaccinated_at"]), pd.to_datetime(d["entered_at"])
    uploaded = pd.to_datetime(d["uploaded_at"])
    delay = entered - vacc
    has_time = vacc.dt.time != time(0)
    delay_days = pd.Series([(e - v).days for e, v in zip(d["entry_date"], d["vaccination_date"], strict=True)],
                           index=d.index)
    before = (has_time & (delay < timedelta(0))) | (delay_days < 0)
    back = ~before & (delay > timedelta(days=30))
    counted = ~before & ~back
    within = (has_time & (delay <= timedelta(hours=24))) | (~has_time & (delay_days <= 1))
    d = d.assign(
        records=1, back_entered=back, entry_before_vaccination=before, counted=counted,
        same_day=counted & (delay_days == 0),
        within_threshold=counted & (delay_days != 0) & within,
        within_7d=counted & (delay_days != 0) & ~within & (delay_days <= 7),
        over_7d=counted & (delay_days > 7) & ~within,
        entry_timely=counted & within,
        uploaded=counted & uploaded.notna(),
        upload_timely=counted & uploaded.notna() & (uploaded >= entered) & (uploaded - entered <= timedelta(hours=24)),
    )
    cols = ["records", "back_entered", "entry_before_vaccination", "counted", "same_day", "within_threshold",
            "within_7d", "over_7d", "entry_timely", "uploaded", "upload_timely"]
    return d.groupby(level)[cols].sum().reset_index().rename(columns={level: "region_code"})


ENTRY_CASES = [
    ("county", None, {"vaccination": (date(2024, 1, 1), date(2024, 12, 31))}),
    ("unit", "610100", {"vaccination": (date(2023, 7, 1), date(2024, 6, 30)),
                        "birth": (date(2019, 1, 1), date(2021, 12, 31))}),
    ("township", None, {"entry": (date(2024, 1, 1), date(2024, 3, 31)), "vaccines": ["0202", "0306"]}),
    ("city", None, {"vaccination": (date(2024, 1, 1), date(2024, 12, 31)), "register_groups": ["in_register"]}),
]


@pytest.mark.parametrize(("level", "region", "filters"), ENTRY_CASES)
def test_entry_timeliness_equals_pandas(warehouse, raw, level, region, filters):
    kwargs = {}
    for name in ("vaccination", "birth", "entry"):
        if name in filters:
            kwargs[f"{name}_from"], kwargs[f"{name}_to"] = filters[name]
    report = query_entry_timeliness(warehouse, level, region, vaccine_codes=filters.get("vaccines"),
                                    register_groups=filters.get("register_groups"), **kwargs)
    expected = expected_entry(raw, level, region, vaccination=filters.get("vaccination", (None, None)),
                              birth=filters.get("birth", (None, None)), entry=filters.get("entry", (None, None)),
                              vaccines=filters.get("vaccines"), register_groups=filters.get("register_groups"))
    values = [c for c in expected.columns if c != "region_code"]
    assert expected["counted"].sum() > 0 and expected["entry_timely"].sum() < expected["counted"].sum()
    _compare(report.rows, expected, ["region_code"], values)
    assert report.totals["counted"] == expected["counted"].sum()
    assert report.totals["entry_timely_rate"] == pytest.approx(expected["entry_timely"].sum() / expected["counted"].sum())


# ------------------------------------------------------------------------------------- 实种情况 views

@pytest.mark.parametrize(("view", "level", "region", "groups"), [
    ("dose", "city", None, None),
    ("manufacturer", "county", "610100", ["in_register"]),
    ("manufacturer", "unit", "610100", ["off_register", "temporary"]),
])
def test_shizhong_views_equal_pandas(warehouse, raw, view, level, region, groups):
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    report = query_shizhong(warehouse, level=level, region_code=region, date_from=start, date_to=end,
                            register_groups=groups, view=view)
    d = _scoped(raw.doses, region)
    d = d[(d["vaccination_date"] >= start) & (d["vaccination_date"] <= end)]
    if groups:
        d = d[d["register_group"].isin(groups)]
    keys = [level, "vaccine_code", "dose_no" if view == "dose" else "manufacturer_code"]
    expected = (d.groupby(keys, dropna=False).agg(doses=("vaccination_id", "size"),
                                                  persons=("recipient_id", "nunique"))
                .reset_index().rename(columns={level: "region_code"}))
    assert len(expected) > 0
    _compare(report.rows, expected, ["region_code", keys[1], keys[2]], ["doses", "persons"])
    assert report.total_doses == len(d) and report.total_persons == d["recipient_id"].nunique()


# ---------------------------------------------------------------------------------------------- IPV补种

def _campaigns() -> pd.DataFrame:
    frame = pd.read_csv(SEEDS / "ref_ipv_campaign.csv", dtype=str)
    for col in ("birth_from", "birth_to", "start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def expected_ipv(raw: Raw) -> pd.DataFrame:
    campaigns = _campaigns()
    trivalent, ipv = {"0301", "0302", "0303", "0306", "5001"}, {"0303", "0306", "5001"}
    polio = raw.doses[(raw.doses["category_code"] == "03") | raw.doses["vaccine_code"].isin(trivalent)]
    polio = polio.sort_values(["vaccinated_at", "vaccination_id"])
    by_child = dict(tuple(polio.groupby("recipient_id")))
    rows = []
    for kid in raw.recipients[raw.recipients["register_group"] == "in_register"].itertuples():
        matches = campaigns[(campaigns["birth_from"] <= kid.birth_date) & (campaigns["birth_to"] >= kid.birth_date)
                            & campaigns["city_code"].isin([kid.city, kid.province or "610000"])]
        if matches.empty:
            continue
        own = matches[matches["city_code"] == kid.city]
        campaign = (own if not own.empty else matches).sort_values("campaign_id").iloc[0]
        doses = by_child.get(kid.recipient_id, polio.iloc[0:0])
        k = int(((doses["vaccination_date"] < campaign.start_date) & doses["vaccine_code"].isin(trivalent)).sum())
        need = max(0, 2 - k)
        catchups = doses[doses["vaccine_code"].isin(ipv) & (doses["vaccination_date"] >= campaign.start_date)
                         & (doses["vaccination_date"] <= campaign.end_date)]
        given = min(need, len(catchups))
        row = {level: getattr(kid, level) for level in LEVELS}
        row.update(eligible=1, need_2=int(need == 2), need_1=int(need == 1), need_0=int(need == 0),
                   needing=int(need > 0), dose1_given=int(given >= 1), dose2_given=int(given >= 2),
                   completed=int(need > 0 and given >= need), campaign_id=campaign.campaign_id)
        rows.append(row)
    return pd.DataFrame(rows)


IPV_VALUES = ["eligible", "need_2", "need_1", "need_0", "needing", "dose1_given", "dose2_given", "completed"]


@pytest.mark.parametrize(("level", "region", "campaigns"), [
    ("city", None, None),
    ("county", "610100", None),
    ("unit", None, ["610500-2024"]),
])
def test_ipv_catchup_equals_pandas(warehouse, raw, level, region, campaigns):
    report = query_ipv_catchup(warehouse, level, region, campaign_ids=campaigns)
    kids = _scoped(expected_ipv(raw), region)
    if campaigns:
        kids = kids[kids["campaign_id"].isin(campaigns)]
    expected = kids.groupby(level)[IPV_VALUES].sum().reset_index().rename(columns={level: "region_code"})
    assert expected["needing"].sum() > 0 and expected["completed"].sum() > 0, "the case must hold catch-up children"
    assert expected["completed"].sum() < expected["needing"].sum(), "most, not all, complete"
    _compare(report.rows, expected, ["region_code"], IPV_VALUES)
    assert report.totals["completion_rate"] == pytest.approx(expected["completed"].sum() / expected["needing"].sum())


# ------------------------------------------------------------------------------------ 出生队列接种率

def expected_cohort(raw: Raw, csd: pd.DataFrame, birth_from, birth_to, as_of, level, region, basis, boundary,
                    doses) -> tuple[pd.DataFrame, pd.DataFrame]:
    status = raw.register_group_as_of(as_of)
    resolved = resolve_township_codes(raw.changes, boundary or as_of)
    kids = raw.recipients.copy()
    kids = kids[(kids["birth_date"] >= birth_from) & (kids["birth_date"] <= birth_to) & (kids["birth_date"] <= as_of)
                & (pd.to_datetime(kids["created_at"]).dt.date <= as_of)]
    kids = kids[kids["recipient_id"].map(status) == "in_register"]
    code = kids[f"{basis}_township_code"]
    kids = kids.assign(township=code.map(lambda c: resolved.get(c, c)))
    kids["county"] = kids["township"].map(raw.parent)
    kids["city"] = kids["county"].map(raw.parent)
    kids["province"] = kids["city"].map(raw.parent)
    if region:
        kids = kids[(kids[["province", "city", "county", "township"]] == region).any(axis=1)]
    kids = kids.rename(columns={level: "region_code"})
    regions = kids.groupby("region_code").size().rename("children").reset_index()
    keys = {f"{c}-{k}" for c, k in doses}
    sel = csd[(csd["category_code"] + "-" + csd["dose_no"].astype(str)).isin(keys)]
    sel = sel.merge(kids[["recipient_id", "region_code"]], on="recipient_id")
    done = sel["vaccination_date"].map(lambda v: v is not None and not pd.isna(v) and v <= as_of)
    sel = sel.assign(vaccinated=sel["is_valid"] & done, timely=sel["is_timely"] & done)
    rows = sel.groupby(["region_code", "category_code", "dose_no"])[["vaccinated", "timely"]].sum().reset_index()
    merged = pd.Series(list(resolved.values())).value_counts()
    regions["merged_code_count"] = regions["region_code"].map(merged).fillna(0)
    return regions, rows


@pytest.fixture(scope="module")
def csd(raw) -> pd.DataFrame:
    return child_scheduled_doses(raw)


COHORT_CASES = [
    ("township", None, date(2022, 1, 1), date(2022, 12, 31), AS_OF, "residence", None),
    ("county", "610100", date(2021, 1, 1), date(2022, 12, 31), date(2024, 6, 30), "household", None),
    ("city", None, date(2023, 1, 1), date(2023, 12, 31), AS_OF, "residence", date(2015, 1, 1)),
]


@pytest.mark.parametrize(("level", "region", "birth_from", "birth_to", "as_of", "basis", "boundary"), COHORT_CASES)
def test_cohort_coverage_equals_pandas(warehouse, raw, csd, level, region, birth_from, birth_to, as_of, basis,
                                       boundary):
    doses = (("02", 1), ("03", 3), ("12", 1), ("04", 3))
    report = query_cohort_coverage(warehouse, birth_from, birth_to, as_of, level=level, region_code=region,
                                   basis=basis, boundary_date=boundary, doses=doses)
    regions, rows = expected_cohort(raw, csd, birth_from, birth_to, as_of, level, region, basis, boundary, doses)
    assert regions["children"].sum() > 0 and rows["timely"].sum() < rows["vaccinated"].sum()
    values = ["children"] + (["merged_code_count"] if level == "township" else [])
    _compare(report.regions, regions, ["region_code"], values)
    _compare(report.rows, rows, ["region_code", "category_code", "dose_no"], ["vaccinated", "timely"])
    if level == "township" and not boundary:
        assert report.regions["merged_code_count"].sum() > 0, "merged townships are shown"


def test_historical_boundaries_keep_old_township_codes(warehouse):
    """With boundaries of 2015 more (older) townships appear than with those of T."""
    args = (date(2020, 1, 1), date(2023, 12, 31), AS_OF)
    now = query_cohort_coverage(warehouse, *args, level="township", doses=(("02", 1),))
    old = query_cohort_coverage(warehouse, *args, level="township", boundary_date=date(2015, 1, 1),
                                doses=(("02", 1),))
    assert now.total_children == old.total_children
    assert set(old.regions["region_code"]) != set(now.regions["region_code"])


# ------------------------------------------------------------------------------------------ 接种率监测

def expected_monitoring(raw: Raw, csd: pd.DataFrame, month_from: date, month_to: date, level, region,
                        categories=None) -> pd.DataFrame:
    eval_month = FROZEN_TODAY.replace(day=1)  # the build's evaluation date
    kids = raw.recipients.set_index("recipient_id")
    out = []
    for row in csd.itertuples():
        group = kids.at[row.recipient_id, "register_group"]
        if group not in ("in_register", "temporary"):
            continue
        due_month = row.due_date.replace(day=1)
        given = row.vaccination_date if row.vaccination_date is not None and not pd.isna(row.vaccination_date) else None
        given_month = given.replace(day=1) if given else None
        last = min(add_months(due_month, 11), (add_months(row.birth_date, 84) - timedelta(days=1)).replace(day=1),
                   eval_month)
        months = []
        if group == "in_register":
            end = min(last, given_month) if given_month else last
            month = due_month
            while month <= end:
                months.append((month, month == given_month, False))
                month = add_months(month, 1)
        if given_month and given_month <= eval_month and (
                group == "temporary" or (given_month >= due_month and given_month > last)):
            months.append((given_month, True, True))
        for month, is_given, plus in months:
            if month_from <= month <= month_to:
                out.append({"recipient_id": row.recipient_id, "category_code": row.category_code,
                            "dose_no": row.dose_no, "due": 1, "given": int(is_given), "plus_one": int(plus)})
    frame = pd.DataFrame(out)
    for lv in LEVELS:
        frame[lv] = frame["recipient_id"].map(kids[lv])
    frame = _scoped(frame, region)
    if categories:
        frame = frame[frame["category_code"].isin(categories)]
    return (frame.groupby([level, "category_code", "dose_no"])[["due", "given", "plus_one"]].sum()
            .reset_index().rename(columns={level: "region_code"}))


@pytest.mark.parametrize(("level", "region", "month_from", "month_to", "categories"), [
    ("city", None, date(2024, 1, 1), date(2024, 12, 1), None),
    ("county", "610100", date(2024, 6, 1), date(2024, 6, 1), None),
    ("unit", "610100", date(2023, 1, 1), date(2024, 12, 1), ["04", "12"]),
])
def test_coverage_monitoring_equals_pandas(warehouse, raw, csd, level, region, month_from, month_to, categories):
    report = query_coverage_monitoring(warehouse, level, month_from, month_to, region_code=region,
                                       category_codes=categories)
    expected = expected_monitoring(raw, csd, month_from, month_to, level, region, categories)
    assert expected["given"].sum() > 0 and expected["plus_one"].sum() >= 0
    _compare(report.rows, expected, ["region_code", "category_code", "dose_no"], ["due", "given", "plus_one"])
    # dropout (WHO): (DTaP1 − DTaP3) / DTaP1 from the same 实种 counts
    dtap = expected[expected["category_code"] == "04"].groupby("dose_no")["given"].sum()
    totals = dropout_totals(report)
    assert totals["dtap_first"] == dtap.get(1, 0) and totals["dtap_last"] == dtap.get(3, 0)
    if dtap.get(1, 0):
        assert totals["dtap_dropout"] == pytest.approx((dtap.get(1, 0) - dtap.get(3, 0)) / dtap.get(1, 0))


def test_coverage_monitoring_has_plus_one_cases(warehouse):
    report = query_coverage_monitoring(warehouse, "province", date(2020, 1, 1), date(2024, 12, 1))
    assert report.totals["plus_one"].sum() > 0
    assert (report.rows["given"] <= report.rows["due"]).all()


# ------------------------------------------------------------------------------------------ 个案抽查

@pytest.mark.parametrize(("region", "birth", "groups", "size", "stratify"), [
    ("610100", (date(2019, 1, 1), date(2022, 12, 31)), ["in_register"], 20, False),
    (None, (None, None), ["in_register", "temporary"], 2, True),
])
def test_case_sample_is_reproducible_and_equals_pandas(warehouse, raw, region, birth, groups, size, stratify):
    first = draw_sample(warehouse, size, seed=123, region_code=region, birth_from=birth[0], birth_to=birth[1],
                        register_groups=groups, stratify_by_unit=stratify)
    again = draw_sample(warehouse, size, seed=123, region_code=region, birth_from=birth[0], birth_to=birth[1],
                        register_groups=groups, stratify_by_unit=stratify)
    other = draw_sample(warehouse, size, seed=124, region_code=region, birth_from=birth[0], birth_to=birth[1],
                        register_groups=groups, stratify_by_unit=stratify)
    members = sample_members(warehouse, first.sample_id)
    assert first.sample_id != again.sample_id and members == sample_members(warehouse, again.sample_id)
    assert set(members) != set(sample_members(warehouse, other.sample_id))

    frame = _scoped(raw.recipients, region)
    if birth[0]:
        frame = frame[(frame["birth_date"] >= birth[0]) & (frame["birth_date"] <= birth[1])]
    frame = frame[frame["register_group"].isin(groups)].copy()
    frame["draw"] = frame["recipient_id"].map(lambda r: md5_order(123, r))
    frame = frame.sort_values(["draw", "recipient_id"])
    picked = frame.groupby("managing_unit_id").head(size) if stratify else frame.head(size)
    assert first.candidates == len(frame) and len(members) == len(picked) > 0
    assert set(members) == set(picked["recipient_id"])
    with psycopg.connect(warehouse.url) as conn:
        seed, stored = conn.execute("select seed, members from sampling.case_sample where sample_id = %s",
                                    (first.sample_id,)).fetchone()
    assert seed == 123 and stored == len(members)


# ------------------------------------------------------------------------------------- Excel reopen

def _sheet_texts(sheet) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def _totals_row(sheet) -> dict[str, object]:
    header_row = None
    for row in sheet.iter_rows():
        if row[0].value == "合计":
            return {"row": row[0].row, "values": [c.value for c in row], "header_row": header_row}
        if row[0].value == "地区编码":
            header_row = row[0].row
    raise AssertionError("no 合计 row")


def _check_print_setup(sheet) -> None:
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows and sheet.oddFooter.center.text


@pytest.fixture
def cli(warehouse, monkeypatch, tmp_path):
    from vaxdw.cli import main

    monkeypatch.setenv("VAXDW_SOURCE_URL", warehouse.url)
    monkeypatch.setenv("VAXDW_WAREHOUSE_URL", warehouse.url)

    def run(*args: str):
        assert main(["export", *args, "--out", str(tmp_path)]) == 0
        return tmp_path

    return run


def test_entry_timeliness_xlsx_reopens(cli, raw):
    out = cli("entry-timeliness", "--level", "county", "--from", "2024-01-01", "--to", "2024-12-31", "--detail")
    (path,) = [p for p in out.glob("实种及时统计表_*.xlsx") if "明细" not in p.name]
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "实种及时统计表"
    texts = _sheet_texts(sheet)
    for header in ("统计记录数", "补录记录数", "录入时间分布", "当天", "24小时内(非当天)", "及时录入率", "及时上传率"):
        assert header in texts
    expected = expected_entry(raw, "county", None, vaccination=(date(2024, 1, 1), date(2024, 12, 31)))
    totals = _totals_row(sheet)["values"]
    assert totals[5] == expected["counted"].sum() and totals[10] == expected["entry_timely"].sum()
    _check_print_setup(sheet)
    (detail,) = out.glob("实种及时统计表_*明细.xlsx")
    rows = sum(1 for _ in openpyxl.load_workbook(detail, read_only=True).worksheets[0].iter_rows())
    assert rows == 3 + expected["records"].sum()  # title, filters, header, one row per dose record


def test_ipv_catchup_xlsx_reopens(cli, raw):
    out = cli("ipv-catchup", "--level", "city", "--detail")
    (path,) = [p for p in out.glob("IPV补种剂次统计表_*.xlsx") if "明细" not in p.name]
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "IPV补种剂次统计表"
    texts = _sheet_texts(sheet)
    assert {"补种对象数", "需补2剂", "需补1剂", "第1剂", "第2剂", "完成率"} <= set(texts)
    kids = expected_ipv(raw)
    totals = _totals_row(sheet)["values"]
    assert totals[2] == len(kids) and totals[9] == kids["completed"].sum() > 0
    _check_print_setup(sheet)


def test_cohort_and_monitoring_xlsx_reopen(cli, warehouse):
    out = cli("cohort-coverage", "--level", "county", "--as-of", "2024-12-31", "--birth-from", "2022-01-01",
              "--birth-to", "2022-12-31", "--dose", "02-1", "--dose", "12-1")
    (path,) = out.glob("乡镇出生队列接种率_*.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "乡镇出生队列接种率统计表"
    assert {"乙肝疫苗第1剂", "麻腮风疫苗第1剂", "接种率", "及时接种率", "出生队列在册人数"} <= set(_sheet_texts(sheet))
    report = query_cohort_coverage(warehouse, date(2022, 1, 1), date(2022, 12, 31), AS_OF, level="county",
                                   doses=(("02", 1), ("12", 1)))
    assert _totals_row(sheet)["values"][3] == report.total_children > 0
    _check_print_setup(sheet)

    out = cli("coverage-monitoring", "--level", "city", "--from", "2024-01-01", "--to", "2024-12-01")
    (path,) = out.glob("接种率监测_*.xlsx")
    book = openpyxl.load_workbook(path)
    assert [s.title for s in book.worksheets] == ["接种率", "脱漏率"]
    first, second = book.worksheets
    assert first["A1"].value == "国家免疫规划疫苗常规免疫接种率监测表" and second["A1"].value == "脱漏率（退出率）统计表"
    report = query_coverage_monitoring(warehouse, "city", date(2024, 1, 1), date(2024, 12, 1))
    values = _totals_row(first)["values"]
    assert values[3] == report.totals["due"].sum() and values[4] == report.totals["given"].sum()
    assert _totals_row(second)["values"][2] == dropout_totals(report)["dtap_first"]
    _check_print_setup(first)
    _check_print_setup(second)


def test_shizhong_manufacturer_view_and_case_sample_xlsx(cli, warehouse):
    out = cli("shizhong", "--view", "manufacturer", "--level", "city", "--from", "2024-01-01", "--to", "2024-12-31",
              "--register", "in_register")
    (path,) = out.glob("实种情况统计表_manufacturer_*.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "实种情况统计表" and "占该疫苗剂次比例" in _sheet_texts(sheet)
    report = query_shizhong(warehouse, "city", None, date(2024, 1, 1), date(2024, 12, 31),
                            register_groups=["in_register"], view="manufacturer")
    values = _totals_row(sheet)["values"]
    assert values[4] == report.total_doses and values[5] == report.total_persons
    _check_print_setup(sheet)

    out = cli("case-sample", "--sample-size", "7", "--seed", "99", "--region", "610100")
    (path,) = out.glob("个案随机抽查_*_seed99.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["A1"].value == "个案随机抽查名单" and "随机种子：99" in sheet["A2"].value
    assert [c.value for c in sheet[3]][:3] == ["序号", "受种者编号", "姓名"]
    assert sheet.max_row == 3 + 7


# ------------------------------------------------------------------------------- updates as doses arrive

def test_ipv_report_updates_as_catch_up_doses_arrive(dbs):
    """A catch-up dose entered in the source shows up after the next load and build."""
    source, warehouse = dbs
    with psycopg.connect(warehouse.url) as conn:
        child, unit, city, start, end, last_polio = conn.execute("""
            select detail.recipient_id, detail.managing_unit_id, detail.city_code, detail.campaign_start_date,
                detail.campaign_end_date,
                (select max(vaccination_date) from marts.fct_vaccinations as doses
                 where doses.recipient_id = detail.recipient_id and doses.category_code = '03')
            from marts.rpt_ipv_catchup_detail as detail
            where detail.doses_needed = 1 and detail.catchup1_vaccination_id is null
            order by detail.recipient_id limit 1
        """).fetchone()
    before = query_ipv_catchup(warehouse, "city", city).totals
    day = max(start, last_polio + timedelta(days=28))
    assert day <= end, "the chosen child can still be caught up in the window"
    moment = datetime.combine(day, time(9, 30))
    with psycopg.connect(source.url) as conn:
        next_id = conn.execute("select max(vaccination_id) + 1 from ops.vaccination").fetchone()[0]
        dose_no = conn.execute("select count(*) + 1 from ops.vaccination where recipient_id = %s and "
                               "left(vaccine_code, 2) = '03'", (child,)).fetchone()[0]
        stamp = datetime(2025, 1, 2, 8, 0)
        conn.execute(
            "insert into ops.vaccination (vaccination_id, recipient_id, vaccine_code, dose_no, vaccinated_at, "
            "unit_id, manufacturer_code, batch_no, expiry_date, site_code, route_code, vacc_property, is_free, "
            "entered_at, uploaded_at, is_deleted, created_at, updated_at) values "
            "(%s, %s, '0306', %s, %s, %s, null, '20240901', '2026-08-31', '1', '2', '2', true, %s, %s, false, %s, %s)",
            (next_id, child, dose_no, moment, unit, moment + timedelta(minutes=5), moment + timedelta(minutes=30),
             stamp, stamp))
    load_all(source, warehouse, pipeline_run_id="coverage-test-2")
    run_dbt(warehouse, ["build", "--select", "stg_ops__vaccination+"])
    after = query_ipv_catchup(warehouse, "city", city).totals
    assert after["dose1_given"] == before["dose1_given"] + 1
    assert after["completed"] == before["completed"] + 1
    assert after["eligible"] == before["eligible"]
