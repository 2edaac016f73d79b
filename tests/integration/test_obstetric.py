"""产科: HBsAg-positive mothers' infants HepB coverage, 未种原因 (authorised, audited detail), 产科查询 and
产科档案推送, against pandas over the raw tables of a tiny generated province (built once for the module)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.conftest import FROZEN_TODAY
from tests.reference import latest_versions, raw_table
from vaxdw.access.authorize import AccessDenied
from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.obstetric_push import PushConfig, push_newborns
from vaxdw.reports.hbsag_newborn import query_hbsag_newborn
from vaxdw.reports.obstetric_unvaccinated import export_detail, query_unvaccinated
from vaxdw.simulator import generate

EVALUATION = FROZEN_TODAY
GROUPS = {1: "in_register", 6: "in_register", 7: "in_register", 10: "in_register", 2: "off_register",
          3: "off_register", 4: "off_register", 5: "deleted", 8: "temporary", 9: "temporary"}


@pytest.fixture(scope="module")
def warehouse(pg_admin, tmp_path_factory):
    names = ("src_obstetric", "wh_obstetric")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=13)
    load_all(source, warehouse, pipeline_run_id="obstetric-test")
    run_dbt(warehouse, ["build", "--vars", f'{{evaluation_date: "{EVALUATION}"}}'],
            target_path=tmp_path_factory.mktemp("dbt") / "target")
    return warehouse


def _latest(warehouse, name, key):
    frame = latest_versions(raw_table(warehouse, name), key)
    return frame[~frame["is_deleted"]] if "is_deleted" in frame else frame


@pytest.fixture(scope="module")
def places(warehouse):
    units = latest_versions(raw_table(warehouse, "unit"), "unit_id")
    regions = latest_versions(raw_table(warehouse, "region"), "region_code")
    with connect(warehouse) as conn:  # current township of each unit: township merges resolved by dim_unit
        township = dict(conn.execute("select unit_id, township_code from marts.dim_unit").fetchall())
    parent = regions.set_index("region_code")["parent_code"]
    frame = units[["unit_id", "county_code"]].copy()
    frame["unit"] = frame["unit_id"]
    frame["township"] = frame["unit_id"].map(township)
    frame["county"] = frame["township"].map(parent).fillna(frame["county_code"])
    frame["city"] = frame["county"].map(parent)
    frame["province"] = frame["city"].map(parent)
    return frame[["unit_id", "unit", "township", "county", "city", "province"]]


@pytest.fixture(scope="module")
def cohort(warehouse, places):
    """Children of HBsAg-positive / unknown mothers with their measures, from raw only."""
    recipients = _latest(warehouse, "recipient", "recipient_id")
    recipients = recipients[~recipients["register_status"].isin([4, 5])].copy()
    newborns = _latest(warehouse, "newborn", "newborn_id").dropna(subset=["recipient_id"])
    newborns = newborns.sort_values(["created_at", "newborn_id"]).drop_duplicates("recipient_id", keep="last")
    newborns = newborns.astype({"recipient_id": "int64"}).set_index("recipient_id")
    doses = _latest(warehouse, "vaccination", "vaccination_id")
    doses = doses[doses["vaccinated_at"].dt.date <= EVALUATION]
    hepb1 = doses[doses["vaccine_code"].str[:2] == "02"].groupby("recipient_id")["vaccinated_at"].min()
    hbig = doses[doses["vaccine_code"].str[:2] == "39"].groupby("recipient_id")["vaccinated_at"].min()
    frame = recipients.set_index("recipient_id")
    frame["hbsag"] = newborns["mother_hbsag"].reindex(frame.index).fillna(frame["mother_hbsag"])
    frame = frame[frame["hbsag"].isin(["1", "3"]) | frame["hbsag"].isna()].copy()
    frame["cohort"] = frame["hbsag"].map(lambda v: "positive" if v == "1" else "unknown")
    frame["hepb1_at"] = pd.concat([hepb1.reindex(frame.index), newborns["hepb1_at"].reindex(frame.index)],
                                  axis=1).min(axis=1)
    frame["hbig_at"] = pd.concat([hbig.reindex(frame.index), newborns["hbig_at"].reindex(frame.index)],
                                 axis=1).min(axis=1)
    hours = (frame["hepb1_at"] - frame["birth_at"]).dt.total_seconds() / 3600
    hbig_hours = (frame["hbig_at"] - frame["birth_at"]).dt.total_seconds() / 3600
    frame["hepb1_12h"], frame["hepb1_24h"], frame["hbig_12h"] = hours <= 12, hours <= 24, hbig_hours <= 12
    frame["both_12h"] = frame["hepb1_12h"] & frame["hbig_12h"]
    weight = newborns["birth_weight"].reindex(frame.index).fillna(
        pd.to_numeric(frame["birth_weight"], errors="coerce"))
    birth = frame["birth_at"].dt.date
    months = birth.map(lambda d: (EVALUATION.year - d.year) * 12 + EVALUATION.month - d.month
                       - (1 if EVALUATION.day < d.day else 0))
    frame["full_course_eligible"] = months >= 7 + (weight < 2000).astype(int)
    course = _hepb_course(doses, frame["birth_at"].dt.normalize())
    frame = frame.join(course)
    frame["valid_doses"] = frame["valid_doses"].fillna(0)
    required = 3 + (weight < 2000).astype(int)
    frame["full_course"] = frame["full_course_eligible"] & (frame["valid_doses"] >= required)
    last = frame["date_3"].where(required == 3, frame["date_4"])
    limit = frame["birth_at"].dt.normalize() + pd.DateOffset(months=12)
    frame["full_course_timely"] = frame["full_course"] & (last < limit)
    frame["register_group"] = frame["register_status"].map(GROUPS)
    frame["birth_date"] = birth
    frame = frame.reset_index().merge(places, left_on="managing_unit_id", right_on="unit_id", how="left")
    return frame


MEASURES = ["hepb1_12h", "hepb1_24h", "hbig_12h", "both_12h", "full_course_eligible", "full_course",
            "full_course_timely"]
MIN_AGE_MONTHS = {1: 0, 2: 1, 3: 6}  # HepB schedule (DOMAIN.md §1.1), written here independently of the seed


def _hepb_course(doses: pd.DataFrame, births: pd.Series) -> pd.DataFrame:
    """Valid HepB doses per child: dose k by rank valid at ≥ min age and ≥ 28 days after the previous dose;
    a 4th+ dose ≥ 28 days after the previous one. Columns valid_doses, date_3, date_4 (the 3rd/4th valid)."""
    hepb = doses[(doses["vaccine_code"].str[:2] == "02") & doses["recipient_id"].isin(births.index)]
    hepb = hepb.sort_values(["recipient_id", "vaccinated_at", "vaccination_id"]).copy()
    hepb["rank"] = hepb.groupby("recipient_id").cumcount() + 1
    hepb["previous"] = hepb.groupby("recipient_id")["vaccinated_at"].shift()
    hepb["date"] = hepb["vaccinated_at"].dt.normalize()
    birth = hepb["recipient_id"].map(births)
    interval_ok = hepb["previous"].isna() | ((hepb["date"] - hepb["previous"].dt.normalize()).dt.days >= 28)
    min_age = pd.Series(
        [b + pd.DateOffset(months=MIN_AGE_MONTHS.get(r, 0)) for b, r in zip(birth, hepb["rank"], strict=True)],
        index=hepb.index,
    )
    scheduled = (hepb["rank"] <= 3) & (hepb["date"] >= min_age) & interval_ok
    extra = (hepb["rank"] >= 4) & (hepb["vaccinated_at"] >= hepb["previous"] + pd.Timedelta(days=28))
    valid = hepb[scheduled | extra].copy()
    valid["nth"] = valid.groupby("recipient_id").cumcount() + 1
    result = pd.DataFrame({"valid_doses": valid.groupby("recipient_id").size()})
    for n in (3, 4):
        result[f"date_{n}"] = valid[valid["nth"] == n].set_index("recipient_id")["date"]
    return result


@pytest.mark.parametrize("level, region, cohort_name, groups, period", [
    ("city", None, "positive", None, (date(2019, 1, 1), EVALUATION)),
    ("county", None, "unknown", None, (date(2019, 1, 1), EVALUATION)),
    ("unit", "610100", "unknown", ["in_register"], (date(2020, 1, 1), EVALUATION)),
    ("county", None, "positive", ["in_register", "off_register"], (date(2022, 6, 1), EVALUATION)),
])
def test_hbsag_newborn_matches_pandas(warehouse, cohort, level, region, cohort_name, groups, period):
    report = query_hbsag_newborn(warehouse, level, region, *period, cohort=cohort_name, register_groups=groups)
    frame = cohort[(cohort["cohort"] == cohort_name) & (cohort["birth_date"] >= period[0])
                   & (cohort["birth_date"] <= period[1])]
    if region:
        frame = frame[(frame[["province", "city", "county", "township", "unit"]] == region).any(axis=1)]
    if groups:
        frame = frame[frame["register_group"].isin(groups)]
    assert report.totals["cohort_size"] == len(frame) > 0
    expected = frame.groupby(level).agg(cohort_size=("recipient_id", "size"),
                                        **{m: (m, "sum") for m in MEASURES})
    actual = report.rows.set_index("region_code")[["cohort_size", *MEASURES]]
    pd.testing.assert_frame_equal(actual.sort_index(), expected.astype("int64").sort_index(),
                                  check_names=False)
    for measure in MEASURES:
        assert report.totals[measure] == int(frame[measure].sum())


def test_hbsag_statement_and_full_course_bounds(warehouse, tmp_path):
    from exporters.obstetric import write_hbsag_newborn

    report = query_hbsag_newborn(warehouse, "city", None, date(2019, 1, 1), EVALUATION)
    totals = report.totals
    assert totals["full_course_timely"] <= totals["full_course"] <= totals["full_course_eligible"]
    sheet = openpyxl.load_workbook(write_hbsag_newborn(report, tmp_path / "h.xlsx")).worksheets[0]
    assert sheet["A1"].value == "产科HBsAg阳性母亲所生儿童乙肝疫苗接种率统计表"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows


@pytest.fixture(scope="module")
def missed(warehouse, places):
    newborns = _latest(warehouse, "newborn", "newborn_id")
    rows = []
    for dose, given, reason in (("HepB1", "is_hepb1_given", "hepb1_reason"), ("BCG", "is_bcg_given", "bcg_reason")):
        part = newborns[~newborns[given]].copy()
        part["birth_dose"], part["reason"] = dose, part[reason].fillna("00")
        rows.append(part)
    frame = pd.concat(rows)
    frame["birth_date"] = frame["birth_at"].dt.date
    return frame.merge(places, left_on="obstetric_unit_id", right_on="unit_id", how="left")


@pytest.mark.parametrize("level, region, doses", [("city", None, None), ("county", "610100", ["BCG"])])
def test_unvaccinated_list_matches_pandas(warehouse, missed, level, region, doses):
    period = (date(2019, 1, 1), EVALUATION)
    report = query_unvaccinated(warehouse, level, region, *period, doses)
    frame = missed[(missed["birth_date"] >= period[0]) & (missed["birth_date"] <= period[1])]
    if region:
        frame = frame[(frame[["province", "city", "county", "township", "unit"]] == region).any(axis=1)]
    if doses:
        frame = frame[frame["birth_dose"].isin(doses)]
    assert report.totals["total"] == len(frame) > 0
    assert report.totals["reason_00"] == int((frame["reason"] == "00").sum())
    expected = frame.groupby(level).size()
    assert report.rows.set_index("region_code")["total"].sort_index().to_dict() == expected.sort_index().to_dict()


def test_unvaccinated_detail_requires_authorisation_and_is_audited(warehouse, missed, tmp_path):
    period = (date(2019, 1, 1), EVALUATION)
    with pytest.raises(AccessDenied, match="没有“导出明细数据”权限"):
        export_detail(warehouse, "lianhu_cdc", "610104", *period, tmp_path / "refused.xlsx")
    assert not (tmp_path / "refused.xlsx").exists()
    with pytest.raises(AccessDenied, match="无权导出地区"):
        export_detail(warehouse, "xian_cdc", "610300", *period, tmp_path / "refused2.xlsx")
    rows = export_detail(warehouse, "xian_cdc", "610100", *period, tmp_path / "xian.xlsx")
    expected = missed[(missed["city"] == "610100") & (missed["birth_date"] >= period[0])]
    assert rows == len(expected) > 0
    sheet = openpyxl.load_workbook(tmp_path / "xian.xlsx", read_only=True).worksheets[0]
    ids = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert sorted(ids) == sorted(expected["newborn_id"].astype(int).tolist())
    with connect(warehouse) as conn:
        log = conn.execute("select user_name, is_allowed, row_count, reason, filters->>'region' "
                           "from audit.export_log where report = '产科未种原因' order by export_log_id").fetchall()
    assert [(u, a, n) for u, a, n, _r, _f in log] == [("lianhu_cdc", False, None), ("xian_cdc", False, None),
                                                      ("xian_cdc", True, rows)]
    assert "拒绝导出" in log[0][3] and log[2][4] == "610100"


def test_obstetric_month_view_keeps_pushed_records(warehouse):
    newborns = _latest(warehouse, "newborn", "newborn_id")
    month = (newborns["birth_at"].dt.to_period("M") == pd.Period(EVALUATION, "M")) & (
        newborns["created_at"].dt.to_period("M") == pd.Period(EVALUATION, "M"))
    expected = newborns[month]
    with connect(warehouse) as conn:
        rows = conn.execute("select newborn_id, is_taken_over_by_clinic from marts.rpt_obstetric_month").fetchall()
    assert sorted(r[0] for r in rows) == sorted(expected["newborn_id"].tolist())
    assert sum(r[1] for r in rows) == int(expected["recipient_id"].notna().sum())


def test_push_decides_clinic_once_and_lists_arrivals(warehouse):
    newborns = _latest(warehouse, "newborn", "newborn_id")
    as_of = newborns["created_at"].max().to_pydatetime() - timedelta(days=3)
    first = push_newborns(warehouse, as_of, PushConfig("obstetric", 7), "run-1")
    due = newborns[newborns["created_at"] + pd.Timedelta(days=7) <= as_of]
    assert first["pushed"] == len(due) > 0 and first["arriving"] == len(newborns) - len(due) > 0
    again = push_newborns(warehouse, as_of, PushConfig("residence", 7), "run-2")
    assert again == {"pushed": 0, "arriving": first["arriving"]}
    later = push_newborns(warehouse, datetime(2100, 1, 1), PushConfig("residence", 15), "run-3")
    assert later == {"pushed": first["arriving"], "arriving": 0}
    with connect(warehouse) as conn:
        counts = dict(conn.execute("select rule, count(*) from obstetric.newborn_push group by rule").fetchall())
        wrong = conn.execute(
            "select count(*) from obstetric.newborn_push push join marts.dim_unit obst on obst.unit_id = "
            "push.obstetric_unit_id join marts.dim_unit clinic on clinic.unit_id = push.receiving_unit_id "
            "where push.rule = 'obstetric' and clinic.county_code <> obst.county_code").fetchone()[0]
    assert counts == {"obstetric": len(due), "residence": first["arriving"]} and wrong == 0


@pytest.mark.e2e
def test_push_dag_through_airflow(warehouse, pg_admin, tmp_path):
    """`airflow dags test vaxdw_obstetric_push` on the module's warehouse: the run succeeds and pushes the rest."""
    from vaxdw.airflow_env import airflow_env, dags_test
    from vaxdw.settings import get_settings

    settings = replace(get_settings(), source_url=replace(pg_admin, dbname="src_obstetric").url,
                       warehouse_url=warehouse.url, out_dir=tmp_path / "out")
    proc = dags_test(airflow_env(settings, home=tmp_path / "airflow"), "vaxdw_obstetric_push")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    with connect(warehouse) as conn:
        pushed, arriving, total = conn.execute(
            "select (select count(*) from obstetric.newborn_push), (select count(*) from obstetric.newborn_arriving), "
            "(select count(*) from marts.fct_newborns)").fetchone()
    assert pushed + arriving == total and pushed > 0  # every record is either pushed once or listed as arriving


def test_print_card_overlay_and_full(warehouse, tmp_path):
    from exporters.obstetric_print import write_print
    from vaxdw.reports.obstetric_print import load_forms, print_record

    newborns = _latest(warehouse, "newborn", "newborn_id")
    row = newborns[newborns["is_hepb1_given"] & ~newborns["is_bcg_given"]].iloc[0]
    forms = load_forms()
    forms["unit_phones"] = {row["obstetric_unit_id"]: "029-88880000"}
    record = print_record(warehouse, int(row["newborn_id"]), forms, printed_on=date(2026, 1, 2))
    layout = forms["forms"]["card"]["fields"]
    path = write_print(record, forms, "card", "overlay", tmp_path / "card.xlsx", omit=["name", "unit_name"])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet[layout["name"]].value is None and sheet[layout["unit_name"]].value is None
    assert sheet[layout["mother_name"]].value == row["mother_name"]
    assert sheet[layout["hepb1_at"]].value == f"{row['hepb1_at']:%Y-%m-%d %H:%M}"
    assert sheet[layout["bcg_at"]].value.startswith("未种（")
    assert sheet[layout["unit_phone"]].value == "029-88880000"
    assert sheet.page_setup.scale == 100 and sheet.page_setup.paperSize == forms["forms"]["card"]["paper_size"]
    assert not any(isinstance(c.value, str) and c.value == "姓名" for r in sheet.iter_rows() for c in r)
    full = openpyxl.load_workbook(write_print(record, forms, "certificate", "full", tmp_path / "c.xlsx")).worksheets[0]
    cert = forms["forms"]["certificate"]["fields"]
    assert full["A1"].value == "预防接种证" and full[cert["name"]].value == record.values["name"]
    label = full[cert["name"]].offset(column=-1)
    assert label.value == "姓名" and label.border.left.style == "thin"
    with pytest.raises(ValueError, match="只能省略"):
        write_print(record, forms, "card", "overlay", tmp_path / "x.xlsx", omit=["mother_name"])
