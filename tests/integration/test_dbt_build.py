"""dbt build on hand-made raw rows (tests/integration/dbt_rows.py), on a real PostgreSQL.

Checks township chain resolution (merge then rename, a future change ignored, a split flagged),
schedule classification (timely, late, early, unscheduled, HepB1 within 24 h by datetime, the 2025
schedule by birth date), recomputed dose numbers, row filters, and rpt_shizhong against pandas.
Injected faults (unknown vaccine, manufacturer and unit; a dose before birth; duplicate versions and
duplicate entries) must leave the build green, with warnings.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pandas as pd
import psycopg
import pytest

from tests.integration import dbt_rows
from vaxdw.db import PgParams, connect
from vaxdw.dbt_runner import DbtRunError, run_dbt
from vaxdw.settings import get_settings


def _frame(warehouse: PgParams, sql: str) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cursor = conn.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


@pytest.fixture(scope="module")
def target_path(tmp_path_factory):
    return tmp_path_factory.mktemp("dbt") / "target"


@pytest.fixture(scope="module")
def built(pg_admin, target_path):
    """One warehouse built once for the module's read-only checks."""
    name = "wh_dbt_build_rows"
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    warehouse = replace(pg_admin, dbname=name)
    dbt_rows.create_raw_tables(warehouse)
    dbt_rows.insert_rows(warehouse)
    result = run_dbt(warehouse, ["build"], target_path=target_path)
    return warehouse, result


def test_build_passes_with_warnings_on_faults(built):
    _, result = built
    assert result.ok
    project = get_settings().dbt_project_dir
    assert result.models_built == len(list((project / "models").rglob("*.sql")))
    assert result.seeds_loaded == len(list((project / "seeds").glob("*.csv")))
    assert result.tests_failed == 0 and result.errors == 0
    assert result.tests_passed > 50
    warned = {node.unique_id for node in result.warned_nodes}
    # unknown vaccine 9998, manufacturer M99 and unit 9999999999 are warnings, not errors (tested on
    # int_vaccinations, the stored doses under the view fct_vaccinations)
    for column in ("vaccine_code", "manufacturer_code", "unit_id"):
        assert any(f"relationships_int_vaccinations_{column}" in name for name in warned), (column, warned)


def test_row_wise_tests_know_the_lineage_column_of_what_they_test(built, target_path):
    """A daily build's row-wise tests read the rows above the last build's load id through the lineage
    column the tested model's yml declares (macros/tests_on_new_rows.sql). Every tested relation that has
    a _derived_load_id or _load_id column must declare it, or its tests would read the whole table."""
    warehouse, _ = built
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    row_wise = {"not_null", "accepted_values", "relationships", "expression_is_true"}
    tested = {node["attached_node"] for node in manifest["nodes"].values()
              if node["resource_type"] == "test" and node.get("attached_node")
              and (node.get("test_metadata") or {}).get("name") in row_wise}
    assert len(tested) > 30
    with connect(warehouse) as conn:
        lineage_of = {}
        for schema, table, column in conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where column_name in ('_derived_load_id', '_load_id')"
        ):
            lineage_of.setdefault((schema, table), set()).add(column)
    undeclared = []
    for unique_id in sorted(tested):
        node = manifest["nodes"][unique_id]
        present = lineage_of.get((node["schema"], node["alias"]), set())
        wanted = [c for c in ("_derived_load_id", "_load_id") if c in present][:1]
        declared = [c for c in ("_derived_load_id", "_load_id") if c in node["columns"]][:1]
        if wanted != declared:
            undeclared.append((unique_id, wanted, declared))
    assert not undeclared


def test_township_codes_resolve_through_chains(built):
    warehouse, _ = built
    resolved = _frame(warehouse, "select * from intermediate.int_township_codes_resolved").set_index(
        "township_code"
    )
    assert resolved.loc["610102001", "resolved_township_code"] == "610102004"  # merge, then rename
    assert resolved.loc["610102001", "chain_length"] == 2
    assert resolved.loc["610102002", "resolved_township_code"] == "610102004"
    assert resolved.loc["610102004", "resolved_township_code"] == "610102004"  # 2099 change not yet
    assert resolved.loc["610102006", "resolved_township_code"] == "610102007"  # split: first successor
    assert bool(resolved.loc["610102006", "is_split_resolved"])
    assert not bool(resolved.loc["610102001", "is_split_resolved"])

    regions = _frame(warehouse, "select * from marts.dim_region").set_index("region_code")
    assert len(regions) == len(dbt_rows.REGIONS)
    assert regions.loc["610102001", "current_region_code"] == "610102004"
    assert not bool(regions.loc["610102001", "is_current"])
    assert not bool(regions.loc["610102005", "is_current"])  # valid from 2099
    assert bool(regions.loc["610102004", "is_current"])
    assert regions.loc["610102004", "region_name"] == "新甲乙街道办"  # latest version
    township = regions.loc["610102007"]
    assert (township["county_code"], township["city_code"], township["province_code"]) == (
        "610102",
        "610100",
        "610000",
    )
    assert township["browse_level"] == "township"
    assert regions.loc["610100", "browse_level"] == "city"
    assert pd.isna(regions.loc["610100", "county_code"])

    units = _frame(warehouse, "select * from marts.dim_unit").set_index("unit_id")
    clinic = units.loc[dbt_rows.CLINIC_A]
    assert clinic["recorded_township_code"] == "610102001"
    assert clinic["township_code"] == "610102004"
    assert clinic["township_name"] == "新甲乙街道办"
    assert (clinic["county_name"], clinic["city_name"], clinic["province_name"]) == ("新城区", "西安市", "陕西省")
    cdc = units.loc["6101000000"]
    assert pd.isna(cdc["township_code"]) and cdc["city_code"] == "610100"


def test_recipients_filtered_and_resolved(built):
    warehouse, _ = built
    recipients = _frame(warehouse, "select * from marts.dim_recipients").set_index("recipient_id")
    assert sorted(recipients.index) == [1, 2, 3, 4]  # 5 deleted, 6 register status 5
    assert recipients.loc[2, "recipient_name"] == "李二"  # the older version from load 2 loses
    assert recipients.loc[2, "register_group"] == "in_register"
    assert recipients.loc[4, "register_group"] == "temporary"
    assert recipients.loc[4, "residence_township_code_resolved"] == "610102004"
    assert recipients.loc[4, "household_township_code_resolved"] == "610102007"
    assert bool(recipients.loc[4, "is_residence_split_resolved"]) is False
    assert recipients.loc[1, "birth_date"] == date(2024, 1, 10)
    assert recipients.loc[1, "managing_unit_name"] == "甲镇接种门诊"
    assert recipients.loc[1, "managing_township_code"] == "610102004"


def test_doses_classified_by_schedule(built):
    warehouse, _ = built
    facts = _frame(warehouse, "select * from marts.fct_vaccinations").set_index("vaccination_id")
    expected_ids = {row[0] for row in dbt_rows.countable_vaccinations()}
    assert set(facts.index) == expected_ids == set(dbt_rows.EXPECTED_CLASSES)
    for vaccination_id, (schedule_class, recomputed, mismatch) in dbt_rows.EXPECTED_CLASSES.items():
        row = facts.loc[vaccination_id]
        assert (row["schedule_class"], row["recomputed_dose_no"], bool(row["is_dose_no_mismatch"])) == (
            schedule_class,
            recomputed,
            mismatch,
        ), vaccination_id

    # HepB1 at 22 h is timely, at 25 h (next calendar day, same as the date rule) is late
    assert facts.loc[101, "age_days"] == 1 and facts.loc[201, "age_days"] == 1
    # schedule version by birth date; DTaP1 at 2 months is timely only under 2025
    assert facts.loc[301, "schedule_version"] == "2025" and facts.loc[104, "schedule_version"] == "2021"
    # dose before birth: negative age, early, not a valid dose
    assert facts.loc[401, "age_days"] < 0 and not bool(facts.loc[401, "is_valid_dose"])
    # calendar months: 2024-01-10 -> 2024-02-10 is one completed month
    assert facts.loc[102, "age_months"] == 1
    assert facts.loc[103, "age_months"] == 13
    # the corrected version of dose 101 wins
    assert facts.loc[101, "batch_no"] == "B101-fixed"
    # missing dose_no: the recomputed one counts in reports
    assert pd.isna(facts.loc[403, "dose_no"]) and facts.loc[403, "effective_dose_no"] == 1
    # HBIG flagged, not NIP; unknown vaccine kept with its category from the code
    assert bool(facts.loc[105, "is_non_vaccine_product"]) and not bool(facts.loc[105, "is_nip"])
    assert facts.loc[402, "category_code"] == "99" and pd.isna(facts.loc[402, "vaccine_name"])
    # unit hierarchy on the fact
    assert facts.loc[101, "unit_township_code"] == "610102004"
    assert facts.loc[202, "unit_township_code"] == "610102007"
    assert facts.loc[101, "unit_county_code"] == "610102"


def test_rpt_shizhong_matches_pandas(built):
    warehouse, _ = built
    doses = pd.DataFrame(
        dbt_rows.countable_vaccinations(),
        columns=["vaccination_id", "recipient_id", "vaccine_code", "dose_no", "vaccinated_at", "unit_id",
                 "manufacturer_code", "is_deleted"],
    )
    doses["vaccination_date"] = doses["vaccinated_at"].dt.date
    doses["dose_no"] = doses.apply(
        lambda row: row["dose_no"] if pd.notna(row["dose_no"]) else dbt_rows.EXPECTED_CLASSES[row["vaccination_id"]][1],
        axis=1,
    ).astype("int64")
    keys = ["vaccination_date", "unit_id", "vaccine_code", "dose_no", "manufacturer_code"]
    expected = (
        doses.groupby(keys)
        .agg(doses=("vaccination_id", "size"), persons=("recipient_id", "nunique"))
        .reset_index()
        .sort_values(keys)
        .reset_index(drop=True)
    )
    report = _frame(warehouse, "select * from marts.rpt_shizhong")
    report["dose_no"] = report["dose_no"].astype("int64")
    actual = report[keys + ["doses", "persons"]].sort_values(keys).reset_index(drop=True)
    actual[["doses", "persons"]] = actual[["doses", "persons"]].astype("int64")
    pd.testing.assert_frame_equal(actual, expected)

    # the duplicate varicella entry: two doses, one person
    cell = report[(report["vaccine_code"] == "2201")].iloc[0]
    assert (cell["doses"], cell["persons"]) == (2, 1)
    hbig = report[report["vaccine_code"] == "3901"].iloc[0]
    assert bool(hbig["is_non_vaccine_product"])

    detail = _frame(warehouse, "select * from marts.rpt_shizhong_detail")
    assert len(detail) == len(doses)
    assert detail.groupby("cell_id").size().sort_index().tolist() == (
        report.set_index("cell_id")["doses"].sort_index().astype(int).tolist()
    )


def test_failure_names_the_failing_node(fresh_dbs, tmp_path):
    _, warehouse = fresh_dbs
    dbt_rows.create_raw_tables(warehouse)
    dbt_rows.insert_rows(warehouse)
    with connect(warehouse) as conn:  # a recipient with no birth time breaks a not_null (error) test
        conn.execute("update raw.recipient set birth_at = null where recipient_id = 3")
    with pytest.raises(DbtRunError) as caught:
        run_dbt(warehouse, ["build", "--select", "+dim_recipients"], target_path=tmp_path / "t")
    assert "not_null_dim_recipients_birth_at" in str(caught.value)
    assert caught.value.result.tests_failed == 1


def test_evaluation_date_var_moves_the_resolution(fresh_dbs, tmp_path):
    _, warehouse = fresh_dbs
    dbt_rows.create_raw_tables(warehouse)
    dbt_rows.insert_rows(warehouse)
    for evaluation_date, expected in (("2019-12-31", "610102001"), ("2021-01-01", "610102003"),
                                      ("2099-06-01", "610102005")):
        run_dbt(warehouse, ["build", "--select", "+int_township_codes_resolved"],
                target_path=tmp_path / "t", vars={"evaluation_date": evaluation_date})
        resolved = _frame(warehouse, "select * from intermediate.int_township_codes_resolved").set_index(
            "township_code"
        )
        assert resolved.loc["610102001", "resolved_township_code"] == expected, evaluation_date
