"""Register-change history (ops.register_change) and int_register_status_as_of.

The generated history must be a chain (each row's previous_status is the status before it) that ends in
the recipient's current register_status, except where the manifest says the last change was dropped
(fault register_history_incomplete) or the record is a duplicate (no history). The dbt model's status as
of T must equal pandas over raw: new_status of the last change up to the end of T.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.reference import latest_versions, raw_table
from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.simulator import generate


def _frame(params, sql: str) -> pd.DataFrame:
    with connect(params) as conn:
        cursor = conn.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


@pytest.fixture(scope="module")
def dbs(pg_admin):
    from dataclasses import replace

    import psycopg

    names = ("src_register_history", "wh_register_history")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=11, children=500, fault_rates={"register_history_incomplete": 0.02})
    load_all(source, warehouse, pipeline_run_id="register-test")
    return source, warehouse


def test_history_is_a_chain_ending_in_the_current_status(dbs):
    source, _ = dbs
    changes = _frame(source, "select * from ops.register_change order by recipient_id, changed_at, change_id")
    recipients = _frame(source, "select recipient_id, register_status, managing_unit_id, created_at from ops.recipient")
    faults = _frame(source, "select fault_type, row_key from sim.injected_fault")
    dropped = set(faults.loc[faults.fault_type == "register_history_incomplete", "row_key"].astype(int))
    duplicates = set(faults.loc[faults.fault_type == "duplicate_recipient", "row_key"].astype(int))
    assert dropped, "the raised fault rate must drop some last changes"

    changes["before"] = changes.groupby("recipient_id")["new_status"].shift()
    chain = changes["previous_status"].astype("Int64").fillna(-1) == changes["before"].astype("Int64").fillna(-1)
    assert chain.all()
    assert changes.drop_duplicates("recipient_id")["previous_status"].isna().all()

    last = changes.groupby("recipient_id").last()
    merged = recipients.set_index("recipient_id").join(last[["new_status", "unit_id"]], how="left")
    missing = set(merged.index[merged["new_status"].isna()])
    assert missing == duplicates
    mismatched = set(merged.index[merged["new_status"].notna() & (merged["new_status"] != merged["register_status"])])
    assert mismatched == dropped
    first = changes.groupby("recipient_id")["changed_at"].min()
    created = recipients.set_index("recipient_id")["created_at"]
    assert (first >= created.reindex(first.index)).all()
    # every move in: a 迁出 row at the from-unit, then the to-unit row one second later
    moves_in = changes[changes["reason"] == "transfer_in"]
    assert len(moves_in) > 0 and (moves_in["new_status"] == 10).all()


@pytest.mark.parametrize("evaluation_date", [date(2022, 6, 30), date(2026, 10, 31)])
def test_status_as_of_equals_pandas_over_raw(dbs, evaluation_date, tmp_path):
    _, warehouse = dbs
    run_dbt(warehouse, ["build", "--select", "+int_register_status_as_of", "--indirect-selection", "cautious"],
            vars={"evaluation_date": evaluation_date.isoformat()}, target_path=tmp_path / "target")
    got = _frame(warehouse, "select recipient_id, register_status, is_from_history "
                            "from intermediate.int_register_status_as_of").set_index("recipient_id").sort_index()

    recipients = latest_versions(raw_table(warehouse, "recipient"), "recipient_id")
    recipients = recipients[~recipients["is_deleted"]]
    end = pd.Timestamp(evaluation_date) + pd.Timedelta(days=1)
    recipients = recipients[recipients["created_at"] < end]
    changes = latest_versions(raw_table(warehouse, "register_change"), "change_id")
    changes = changes[~changes["is_deleted"] & (changes["changed_at"] < end)]
    last = changes.sort_values(["changed_at", "change_id"]).groupby("recipient_id")["new_status"].last()
    expected = recipients.set_index("recipient_id")[["register_status"]].copy()
    expected["from_history"] = last.reindex(expected.index)
    expected["status"] = expected["from_history"].fillna(expected["register_status"]).astype(int)
    expected = expected.sort_index()
    assert list(got.index) == list(expected.index)
    assert (got["register_status"].astype(int) == expected["status"]).all()
    assert (got["is_from_history"] == expected["from_history"].notna()).all()
    if evaluation_date.year == 2022:
        assert (got["register_status"] != expected["register_status"]).any(), "history must differ from today"
