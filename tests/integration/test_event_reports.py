"""省内迁出, 留观率, 签核率, 门诊服务评价 and 受种者个案 against pandas over the raw tables.

A tiny province is generated, loaded and built once for the module. Each report query (SQL over the dbt
marts) is compared with an independent pandas computation over ``raw.*`` (latest version per key,
deleted rows and deleted recipients excluded, regions from the unit), for several filters and browse
levels; the statements are written and reopened.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.conftest import FROZEN_TODAY
from tests.reference import countable_doses, latest_versions, raw_table, resolve_township_codes
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.reports.migration_out import query_migration_out
from vaxdw.reports.observation import query_observation
from vaxdw.reports.recipient_case import SECTIONS, query_recipient_case
from vaxdw.reports.service_evaluation import query_service_evaluation
from vaxdw.reports.signoff import query_signoff
from vaxdw.simulator import generate

LEVELS = ["province", "city", "county", "township", "unit"]
IN_REGISTER = {1: "in_register", 6: "in_register", 7: "in_register", 10: "in_register", 2: "off_register",
               3: "off_register", 4: "off_register", 5: "deleted", 8: "temporary", 9: "temporary"}


@pytest.fixture(scope="module")
def warehouse(pg_admin, tmp_path_factory):
    names = ("src_event_reports", "wh_event_reports")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=13, fault_rates={"migration_decided_before_initiated": 0.2})
    load_all(source, warehouse, pipeline_run_id="event-report-test")
    run_dbt(warehouse, ["build"], target_path=tmp_path_factory.mktemp("dbt") / "target")
    return warehouse


def _latest(warehouse, name: str, key: str) -> pd.DataFrame:
    frame = latest_versions(raw_table(warehouse, name), key)
    return frame[~frame["is_deleted"]] if "is_deleted" in frame else frame


@pytest.fixture(scope="module")
def places(warehouse) -> pd.DataFrame:
    """unit_id → township, county, city, province (current codes), from raw only."""
    units = latest_versions(raw_table(warehouse, "unit"), "unit_id")
    regions = latest_versions(raw_table(warehouse, "region"), "region_code")
    changes = latest_versions(raw_table(warehouse, "township_change"), "change_id")
    current = resolve_township_codes(changes, FROZEN_TODAY)  # the build's evaluation date
    parent = regions.set_index("region_code")["parent_code"]
    frame = units[["unit_id", "township_code", "county_code"]].copy()
    frame["unit"] = frame["unit_id"]
    frame["township"] = frame["township_code"].map(lambda code: current.get(code, code))
    frame["county"] = frame["township"].map(parent).fillna(frame["county_code"])
    frame["city"] = frame["county"].map(parent)
    frame["province"] = frame["city"].map(parent)
    return frame[["unit_id", *LEVELS]]


@pytest.fixture(scope="module")
def recipients(warehouse) -> pd.DataFrame:
    frame = _latest(warehouse, "recipient", "recipient_id")
    frame = frame[frame["register_status"] != 5].copy()
    frame["register_group"] = frame["register_status"].map(IN_REGISTER)
    return frame


def _in_region(frame: pd.DataFrame, region: str | None, prefix: str = "") -> pd.Series:
    if not region:
        return pd.Series(True, index=frame.index)
    return (frame[[prefix + level for level in LEVELS]] == region).any(axis=1)


def _compare(got: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    got = got.set_index("region_code")[columns].astype("float").sort_index()
    expected = expected[columns].astype("float").sort_index()
    expected.index.name = got.index.name
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False, atol=1e-9)


# ---------------------------------------------------------------- 留观率 (§8.3)

@pytest.fixture(scope="module")
def visits(warehouse, recipients) -> pd.DataFrame:
    doses = countable_doses(warehouse)
    doses = doses[doses["unit_id"].notna()]
    visits = doses.groupby(["recipient_id", "unit_id", "vaccination_date"], as_index=False).agg(
        first=("vaccinated_at", "min"), last=("vaccinated_at", "max"), **{level: (level, "first") for level in LEVELS})
    visits = visits.merge(recipients[["recipient_id", "register_group"]], on="recipient_id")
    obs = _latest(warehouse, "observation", "observation_id")
    obs = obs.sort_values(["obs_end_at", "observation_id"], ascending=[False, True], na_position="last")
    obs = obs.drop_duplicates(["recipient_id", "unit_id", "visit_date"])
    obs = obs.rename(columns={"visit_date": "vaccination_date"})
    visits = visits.merge(obs[["recipient_id", "unit_id", "vaccination_date", "obs_end_at", "has_aefi",
                               "observation_id"]], on=["recipient_id", "unit_id", "vaccination_date"], how="left")
    visits["recorded"] = visits["observation_id"].notna()
    waited = (visits["obs_end_at"] - visits["last"]) >= pd.Timedelta(minutes=30)
    visits["completed"] = visits["recorded"] & (visits["has_aefi"].fillna(False).astype(bool) | waited)
    return visits


@pytest.mark.parametrize(("level", "region", "date_from", "date_to", "groups"), [
    ("city", None, date(2025, 1, 1), date(2025, 12, 31), None),
    ("county", "610100", date(2024, 1, 1), date(2026, 10, 31), ["in_register"]),
    ("unit", "610300", date(2026, 1, 1), date(2026, 10, 31), ["in_register", "temporary"]),
])
def test_observation_equals_pandas(warehouse, visits, level, region, date_from, date_to, groups):
    report = query_observation(warehouse, level, region, date_from, date_to, groups)
    frame = visits[(visits["vaccination_date"] >= date_from) & (visits["vaccination_date"] <= date_to)]
    frame = frame[_in_region(frame, region)]
    if groups:
        frame = frame[frame["register_group"].isin(groups)]
    expected = frame.groupby(level).agg(visits=("recipient_id", "size"), recorded=("recorded", "sum"),
                                        completed=("completed", "sum"))
    assert len(frame) > 0
    _compare(report.rows, expected, ["visits", "recorded", "completed"])
    assert report.totals["visits"] == len(frame)
    assert report.totals["completed_rate"] == pytest.approx(frame["completed"].mean())


# ---------------------------------------------------------------- 签核率 (§8.4)

@pytest.fixture(scope="module")
def signed_visits(warehouse, visits) -> pd.DataFrame:
    reg = _latest(warehouse, "visit_registration", "registration_id")
    reg = reg.sort_values(["signed_at", "registered_at", "registration_id"], na_position="last")
    reg = reg.drop_duplicates(["recipient_id", "unit_id", "visit_date"]).rename(columns={"visit_date": "vaccination_date"})
    frame = visits.merge(reg[["recipient_id", "unit_id", "vaccination_date", "signed_at", "registrar_id"]],
                         on=["recipient_id", "unit_id", "vaccination_date"], how="left")
    on_time = (frame["signed_at"] <= frame["first"]) & (frame["signed_at"].dt.date == frame["vaccination_date"])
    frame["status"] = "late"
    frame.loc[on_time, "status"] = "signed"
    frame.loc[frame["signed_at"].isna(), "status"] = "unsigned"
    return frame


@pytest.fixture(scope="module")
def signed_doses(warehouse, signed_visits) -> pd.DataFrame:
    doses = countable_doses(warehouse)
    doses = doses[doses["unit_id"].notna()]
    signs = _latest(warehouse, "vaccination_sign", "sign_id").sort_values(["signed_at", "sign_id"])
    signs = signs.drop_duplicates("vaccination_id")[["vaccination_id", "signed_at"]]
    frame = doses.merge(signs, on="vaccination_id", how="left").merge(
        signed_visits[["recipient_id", "unit_id", "vaccination_date", "signed_at"]].rename(
            columns={"signed_at": "reg_signed_at"}), on=["recipient_id", "unit_id", "vaccination_date"], how="left")
    window = (frame["signed_at"] - frame["vaccinated_at"]).abs() <= pd.Timedelta(hours=2)
    same_day = frame["signed_at"].dt.date == frame["vaccination_date"]
    frame["status"] = "late"
    frame.loc[window & same_day, "status"] = "signed"
    frame.loc[frame["signed_at"] < frame["reg_signed_at"], "status"] = "out_of_order"
    frame.loc[frame["signed_at"].isna(), "status"] = "unsigned"
    return frame


@pytest.mark.parametrize(("level", "region", "date_from", "date_to"), [
    ("city", None, date(2024, 1, 1), date(2026, 10, 31)),
    ("unit", "610100", date(2025, 6, 1), date(2026, 5, 31)),
])
def test_signoff_equals_pandas(warehouse, signed_visits, signed_doses, level, region, date_from, date_to):
    report = query_signoff(warehouse, level, region, date_from, date_to)
    for got, frame, prefix in ((report.registration, signed_visits, "reg_"), (report.vaccination, signed_doses, "vacc_")):
        frame = frame[(frame["vaccination_date"] >= date_from) & (frame["vaccination_date"] <= date_to)]
        frame = frame[_in_region(frame, region)]
        expected = pd.crosstab(frame[level], frame["status"]).add_prefix(prefix)
        statuses = [c for c in got.columns if c.startswith(prefix) and not c.endswith("rate")]
        expected = expected.reindex(columns=statuses, fill_value=0)
        _compare(got.rename(columns={"group_code": "region_code"}), expected, statuses)
        assert len(frame) > 0


def test_signoff_by_staff_adds_up(warehouse, signed_doses):
    report = query_signoff(warehouse, "city", None, date(2025, 1, 1), date(2025, 12, 31), group_by="staff")
    frame = signed_doses[(signed_doses["vaccination_date"] >= date(2025, 1, 1))
                         & (signed_doses["vaccination_date"] <= date(2025, 12, 31))]
    expected = frame.groupby(frame["vaccinator_id"].astype("Int64").astype("string"))["status"].apply(
        lambda s: (s == "signed").sum())
    got = report.vaccination.set_index("group_code")["vacc_signed"]
    assert got.drop(labels=[None], errors="ignore").sort_index().tolist() == expected.sort_index().tolist()
    assert report.totals["doses"] == len(frame)


# ---------------------------------------------------------------- 省内迁出 (§8.8)

@pytest.fixture(scope="module")
def migrations(warehouse, recipients, places) -> pd.DataFrame:
    frame = _latest(warehouse, "migration", "migration_id")
    frame = frame[frame["recipient_id"].isin(recipients["recipient_id"])]
    for side in ("from", "to"):
        frame = frame.merge(places.add_prefix(f"{side}_"), left_on=f"{side}_unit_id", right_on=f"{side}_unit_id",
                            how="left")
    return frame


@pytest.mark.parametrize(("level", "region", "side", "date_from", "date_to", "overdue"), [
    ("city", None, "from", date(2024, 1, 1), date(2026, 10, 31), 7),
    ("county", "610100", "from", date(2023, 1, 1), date(2026, 10, 31), 3),
    ("province", None, "to", date(2026, 1, 1), date(2026, 10, 31), 7),
])
def test_migration_equals_pandas(warehouse, migrations, level, region, side, date_from, date_to, overdue):
    report = query_migration_out(warehouse, level, region, date_from, date_to, side=side, overdue_days=overdue)
    frame = migrations[_in_region(migrations, region, f"{side}_")].copy()
    end = pd.Timestamp(date_to) + pd.Timedelta(days=1)
    day = {col: frame[col].dt.date for col in ("initiated_at", "decided_at", "withdrawn_at")}

    def within(col):
        return (day[col] >= date_from) & (day[col] <= date_to)

    frame["initiated"] = within("initiated_at")
    frame["accepted"] = (frame["migration_status"] == "accepted") & within("decided_at")
    frame["rejected"] = (frame["migration_status"] == "rejected") & within("decided_at")
    frame["withdrawn"] = (frame["migration_status"] == "withdrawn") & within("withdrawn_at")
    frame["pending"] = ((frame["initiated_at"] < end) & ~(frame["decided_at"] < end)
                        & ~(frame["withdrawn_at"] < end))
    frame["overdue_pending"] = frame["pending"] & (frame["initiated_at"] < end - pd.Timedelta(days=overdue))
    counts = ["initiated", "pending", "overdue_pending", "accepted", "rejected", "withdrawn"]
    expected = frame.groupby(f"{side}_{level}")[counts].sum()
    expected = expected[expected.sum(axis=1) > 0]
    assert expected.to_numpy().sum() > 0
    _compare(report.rows, expected, counts)
    accepted = frame[frame["accepted"]]
    days = ((accepted["decided_at"] - accepted["initiated_at"]).dt.total_seconds() / 86400).round(4)
    assert report.totals["median_days_to_accept"] == pytest.approx(days.median(), abs=0.006)
    assert report.totals["accepted"] == len(accepted)


def test_accepted_migrations_match_register_changes(warehouse, migrations):
    changes = _latest(warehouse, "register_change", "change_id")
    accepted = migrations[migrations["migration_status"] == "accepted"]
    assert len(accepted) > 0
    out = accepted.merge(changes[changes["new_status"] == 2], left_on=["recipient_id", "from_unit_id", "decided_at"],
                         right_on=["recipient_id", "unit_id", "changed_at"])
    into = changes[changes["new_status"] == 10].copy()
    into["decided_at"] = into["changed_at"] - pd.Timedelta(seconds=1)
    arrived = accepted.merge(into, left_on=["recipient_id", "to_unit_id", "decided_at"],
                             right_on=["recipient_id", "unit_id", "decided_at"])
    assert len(out) == len(accepted) == len(arrived)
    assert migrations["from_unit_id"].str.startswith("61").all() and migrations["to_unit_id"].str.startswith("61").all()


# ---------------------------------------------------------------- 门诊服务评价

@pytest.mark.parametrize(("level", "region"), [("unit", None), ("county", "610100")])
def test_service_evaluation_equals_pandas(warehouse, places, level, region):
    date_from, date_to = date(2025, 1, 1), date(2025, 12, 31)
    report = query_service_evaluation(warehouse, level, region, date_from, date_to)
    frame = _latest(warehouse, "service_evaluation", "evaluation_id").merge(places, on="unit_id", how="left")
    frame = frame[(frame["evaluated_at"].dt.date >= date_from) & (frame["evaluated_at"].dt.date <= date_to)]
    frame = frame[_in_region(frame, region)]
    frame["active"] = frame["is_active"]
    for n in range(1, 6):
        frame[f"rating_{n}"] = frame["is_active"] & (frame["rating"] == n)
    frame["invalid"] = ~frame["rating"].between(1, 5)
    columns = ["active", "rating_5", "rating_4", "rating_3", "rating_2", "rating_1", "invalid"]
    expected = frame.groupby(level)[columns].sum()
    expected["evaluations"] = frame.groupby(level).size()
    _compare(report.rows, expected, ["evaluations", *columns])
    assert report.totals["evaluations"] == len(frame)


# ---------------------------------------------------------------- 受种者个案 and the statements

def test_recipient_case_holds_every_history(warehouse, recipients):
    counts = {}
    for name in ("migration", "register_change", "aefi", "contraindication", "operation_log"):
        key = {"migration": "migration_id", "register_change": "change_id", "aefi": "aefi_id",
               "contraindication": "contraindication_id", "operation_log": "log_id"}[name]
        counts[name] = _latest(warehouse, name, key).groupby("recipient_id").size()
    busy = counts["operation_log"].index.intersection(recipients["recipient_id"])[:2].tolist()
    busy += counts["migration"].index.intersection(recipients["recipient_id"])[:1].tolist()
    for recipient_id in busy:
        case = query_recipient_case(warehouse, recipient_id)
        for name in ("migration", "register_change", "aefi", "contraindication", "operation_log"):
            assert len(case.sections[name]) == counts[name].get(recipient_id, 0), (recipient_id, name)
    with pytest.raises(ValueError, match="不存在"):
        query_recipient_case(warehouse, 10**12)


def test_cli_exports_reopen_with_titles_headers_and_totals(warehouse, monkeypatch, tmp_path, capsys):
    from vaxdw.cli import main

    monkeypatch.setenv("VAXDW_SOURCE_URL", warehouse.url)
    monkeypatch.setenv("VAXDW_WAREHOUSE_URL", warehouse.url)
    out = tmp_path / "out"
    period = ["--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out)]
    assert main(["report", "migration", "--level", "city", "--detail", *period]) == 0
    assert main(["report", "observation", "--level", "county", "--region", "610100", *period]) == 0
    assert main(["report", "signoff", "--level", "city", *period]) == 0
    assert main(["report", "evaluation", "--level", "city", *period]) == 0
    migration = query_migration_out(warehouse, "city", None, date(2025, 1, 1), date(2025, 12, 31))
    observed = query_observation(warehouse, "county", "610100", date(2025, 1, 1), date(2025, 12, 31))
    expected = {
        "省内迁出报表_city": ("省内迁出报表", "发起数", migration.totals["initiated"]),
        "留观率统计表_county": ("留观率统计表", "接种就诊人次", observed.totals["visits"]),
    }
    for stem, (title, header, total) in expected.items():
        (path,) = [p for p in out.glob(f"{stem}_*.xlsx") if "明细" not in p.name]
        ws = openpyxl.load_workbook(path).active
        values = [[cell for cell in row] for row in ws.iter_rows(values_only=True)]
        assert values[0][0] == title
        column = next(i for row in values for i, cell in enumerate(row) if cell == header)
        totals_row = next(row for row in values if row[0] == "合计")
        assert totals_row[column] == total
        assert ws.print_title_rows and ws.page_setup.orientation == "landscape"
    detail = next(p for p in out.glob("省内迁出报表_*明细.xlsx"))
    detail_rows = list(openpyxl.load_workbook(detail, read_only=True).active.iter_rows(values_only=True))
    assert detail_rows[0][0] == "省内迁出报表明细" and detail_rows[2][0] == "迁移编号" and len(detail_rows) > 3

    recipient_id = int(_latest(warehouse, "migration", "migration_id")["recipient_id"].iloc[0])
    assert main(["report", "case", str(recipient_id), "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / f"受种者个案_{recipient_id}.xlsx")
    assert book.sheetnames == ["基本信息", *SECTIONS.values()]
    assert book["迁移记录"]["A1"].value == "受种者个案：迁移记录"
