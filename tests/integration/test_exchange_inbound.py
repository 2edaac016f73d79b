"""Inbound exchange: the collaborative platform's pushes through the receiver service, and two cold-chain
vendors' feeds, into raw and the exchange marts — checked against the simulators' own records with an
independent pandas computation."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pandas as pd
import psycopg
import pytest

from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.exchange import coldchain, inbox
from vaxdw.exchange.config import VendorFeed
from vaxdw.exchange.receiver import create_receiver_app
from vaxdw.exchange.simulators import coldchain_vendors
from vaxdw.exchange.simulators.collab_pusher import build_plan, push_all
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.extract_load.control import ensure_control

SHANGHAI = timezone(timedelta(hours=8))
UNITS = [f"6101{i:08d}" for i in range(12)]
SENDER = {"NVCSP": "collab-secret"}


@pytest.fixture(scope="module")
def inbound(pg_admin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inbound")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        conn.execute("drop database if exists wh_exchange_inbound with (force)")
        conn.execute("create database wh_exchange_inbound")
    warehouse = replace(pg_admin, dbname="wh_exchange_inbound")
    with connect(warehouse) as conn:
        ensure_control(conn)  # empty raw tables, so the marts the exchange models join to can build
    plan = build_plan(seed=3, unit_ids=tuple(UNITS))
    with ServerThread(create_receiver_app(warehouse, SENDER)) as receiver:
        answers = push_all(receiver.url, "NVCSP", SENDER["NVCSP"], plan)
        loaded_first = inbox.load_inbox(warehouse)
        # the platform retries everything once more (e.g. after a timeout on its side): nothing changes
        answers_again = push_all(receiver.url, "NVCSP", SENDER["NVCSP"], plan)
        loaded_again = inbox.load_inbox(warehouse)
    truth = coldchain_vendors.generate(tmp / "vendors.sqlite", UNITS, seed=5)
    with ServerThread(coldchain_vendors.create_app(tmp / "vendors.sqlite")) as vendors:
        feeds = [VendorFeed("A", "json", f"{vendors.url}/vendor-a", "token-a"),
                 VendorFeed("B", "csv", f"{vendors.url}/vendor-b", "key-b")]
        pulled = [coldchain.pull_vendor(warehouse, feed) for feed in feeds]
        pulled_again = [coldchain.pull_vendor(warehouse, feed) for feed in feeds]
    from vaxdw.exchange.steps import EXCHANGE_MODELS

    result = run_dbt(warehouse, ["build", "--indirect-selection", "cautious", "--select",
                                  *[f"+{m}" for m in EXCHANGE_MODELS]])
    assert result.tests_failed == 0, result
    alerts = coldchain.raise_alerts(warehouse)
    alerts_again = coldchain.raise_alerts(warehouse)
    return {"warehouse": warehouse, "plan": plan, "answers": answers, "answers_again": answers_again,
            "loaded": (loaded_first, loaded_again), "truth": truth, "pulled": pulled, "pulled_again": pulled_again,
            "alerts": (alerts, alerts_again), "vendor_db": tmp / "vendors.sqlite"}


def _frame(warehouse, sql: str) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cur = conn.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def test_every_push_is_stored_and_duplicates_are_recognised(inbound):
    plan, warehouse = inbound["plan"], inbound["warehouse"]
    inbox_rows = _frame(warehouse, "select message_id, status, reason from exchange.inbox")
    assert len(inbox_rows) == 2 * len(plan.pushes), "every delivery is stored, first and repeated"
    # within the plan some messages come twice; then the whole plan is delivered again (malformed ones too)
    assert (inbox_rows["status"] == "duplicate").sum() == plan.expected_duplicates + len(plan.pushes)
    first_answers = {}
    for answer in inbound["answers"] + inbound["answers_again"]:
        first_answers.setdefault(answer["message_id"], answer)
        if answer["answer"].get("duplicate"):
            first = first_answers[answer["message_id"]]
            assert {k: v for k, v in answer["answer"].items() if k != "duplicate"} == \
                {k: v for k, v in first["answer"].items() if k != "duplicate"}
            assert answer["http_status"] == first["http_status"]
    loaded_first, loaded_again = inbound["loaded"]
    assert loaded_again["items_loaded"] == 0
    raw_items = _frame(warehouse, "select push_id, item_no from raw.collab_item")
    assert not raw_items.duplicated().any()


def test_malformed_pushes_are_kept_with_a_reason(inbound):
    warehouse = inbound["warehouse"]
    malformed = _frame(warehouse, "select message_id, reason from exchange.inbox where status = 'malformed'")
    reasons = dict(zip(malformed["message_id"], malformed["reason"], strict=True))
    assert "UTF-8" in reasons["BADGBK"] and "JSON" in reasons["BADJSON"]
    assert "items" in reasons["BADSHAPE"] and "MB" in reasons["BADSIZE"]
    statuses = {a["message_id"]: a["http_status"] for a in inbound["answers"]}
    assert all(statuses[m] == 400 for m in reasons)


def test_bad_items_are_rejected_alone(inbound):
    warehouse, plan = inbound["warehouse"], inbound["plan"]
    rejected = _frame(warehouse, """
        select inbox.message_id, item.reason_code, item.reason from exchange.inbox_item as item
        inner join exchange.inbox using (push_id) where item.status = 'rejected'""")
    assert len(rejected) == plan.expected_rejected_items
    assert set(rejected["reason_code"]) == {"P101", "P102", "P103", "P104", "P105", "P106", "P108"}
    assert rejected["reason"].str.len().min() > 4
    loaded = _frame(warehouse, "select item_key from raw.collab_item where message_id like 'MIX%'")
    assert sorted(loaded["item_key"]) == [f"MB{i}" for i in range(plan.expected_rejected_items)]


def test_dimensions_hold_the_latest_version_of_every_item(inbound):
    warehouse, expected = inbound["warehouse"], inbound["plan"].expected
    products = _frame(warehouse, "select product_code, product_name, vaccine_code from marts.dim_collab_product")
    want = {k: v[1]["product_name"] for k, v in expected["product"].items()}
    assert dict(zip(products["product_code"], products["product_name"], strict=True)) == want
    assert any(name.endswith("（更正）") for name in want.values())
    batches = _frame(warehouse, "select batch_key, expiry_date from marts.dim_collab_batch")
    assert {k: str(v) for k, v in zip(batches["batch_key"], batches["expiry_date"], strict=True)} == {
        k: v[1]["expiry_date"] for k, v in expected["batch"].items()}
    lines = _frame(warehouse, "select doc_no, quantity from marts.fct_collab_purchase_inbound")
    want_lines = [(k, line["quantity"]) for k, (_, d) in expected["purchase_inbound"].items() for line in d["lines"]]
    assert len(lines) == len(want_lines) and int(lines["quantity"].sum()) == sum(q for _, q in want_lines)
    specs = _frame(warehouse, "select count(*) as n from marts.dim_collab_specification")
    assert specs["n"][0] == len(expected["specification"])


def _vendor_readings(path) -> pd.DataFrame:
    """Independent reference: the vendors' own store, parsed here with pandas."""
    with sqlite3.connect(path) as conn:
        frame = pd.read_sql("select vendor, device_id, measured, temp, uploaded from reading", conn)
        devices = pd.read_sql("select vendor, device_id, type, min_c, max_c from device", conn)
    frame["temperature"] = pd.to_numeric(frame["temp"], errors="coerce")
    frame["measured_at"] = pd.to_datetime(frame["measured"], errors="coerce", format="%Y-%m-%dT%H:%M:%S")
    frame["uploaded_at"] = pd.to_datetime(frame["uploaded"], format="%Y-%m-%dT%H:%M:%S")
    frame = frame.dropna(subset=["temperature", "measured_at"])
    frame = frame.sort_values("uploaded_at").drop_duplicates(["vendor", "device_id", "measured_at"])
    frame = frame.merge(devices, on=["vendor", "device_id"])
    frame["lo"] = frame["min_c"].fillna(2.0)
    frame["hi"] = frame["max_c"].fillna(8.0)
    frame["out"] = (frame["temperature"] < frame["lo"]) | (frame["temperature"] > frame["hi"])
    return frame.sort_values(["vendor", "device_id", "measured_at"]).reset_index(drop=True)


def _expected_excursions(frame: pd.DataFrame, minimum: float = 30.0) -> set[tuple[str, datetime, float]]:
    out = set()
    for (_, device), group in frame.groupby(["vendor", "device_id"]):
        rows = list(group.itertuples())
        i = 0
        while i < len(rows):
            if not rows[i].out:
                i += 1
                continue
            j = i
            while j + 1 < len(rows) and rows[j + 1].out:
                j += 1
            end = rows[j + 1].measured_at if j + 1 < len(rows) else rows[j].measured_at
            minutes = (end - rows[i].measured_at).total_seconds() / 60
            if minutes >= minimum:
                out.add((device, rows[i].measured_at, minutes))
            i = j + 1
    return out


def test_vendor_formats_map_to_one_model(inbound):
    warehouse, truth = inbound["warehouse"], inbound["truth"]
    reference = _vendor_readings(inbound["vendor_db"])
    facts = _frame(warehouse, "select vendor, device_id, measured_at, temperature_c, is_late_upload "
                              "from marts.fct_coldchain_readings")
    assert len(facts) == len(reference) == truth.readings - truth.duplicates
    facts["local"] = facts["measured_at"].map(lambda t: t.astimezone(SHANGHAI).replace(tzinfo=None))
    merged = facts.merge(reference, left_on=["vendor", "device_id", "local"],
                         right_on=["vendor", "device_id", "measured_at"], how="inner")
    assert len(merged) == len(reference), "UTC (vendor A) and local time (vendor B) land on the same instants"
    assert (merged["temperature_c"].astype(float) == merged["temperature"]).all()
    assert int(facts["is_late_upload"].sum()) == truth.late
    rejects = _frame(warehouse, "select vendor, reason from exchange.coldchain_reject")
    assert len(rejects) == truth.malformed and rejects["reason"].str.contains("温度|时间").all()
    assert sum(p["readings"] for p in inbound["pulled_again"]) == 0, "the cursor moved: nothing read twice"


def test_excursions_stopped_devices_and_alerts(inbound):
    warehouse, truth = inbound["warehouse"], inbound["truth"]
    reference = _vendor_readings(inbound["vendor_db"])
    expected = _expected_excursions(reference)
    got = _frame(warehouse, "select device_id, started_at, duration_minutes from marts.rpt_coldchain_excursions "
                            "where is_alert")
    got_set = {(d, s.astimezone(SHANGHAI).replace(tzinfo=None), float(m))
               for d, s, m in zip(got["device_id"], got["started_at"], got["duration_minutes"], strict=True)}
    assert got_set == expected and expected
    devices = _frame(warehouse, "select device_id, is_stopped from marts.rpt_coldchain_devices")
    assert set(devices.loc[devices["is_stopped"], "device_id"]) == set(truth.stopped)
    alerts, again = inbound["alerts"]
    assert alerts == {"excursion_alerts": len(expected), "stopped_alerts": len(truth.stopped)}
    assert again == {"excursion_alerts": 0, "stopped_alerts": 0}
    events = _frame(warehouse, "select source, severity, title_zh from ops.alert_event")
    assert len(events) == len(expected) + len(truth.stopped) and events["title_zh"].str.contains("℃|停止上报").all()
    # the one alert path: one summary per kind; the second run found no new excursion and resolved it
    summary = _frame(warehouse, "select alert_key, severity, message_zh, resolved_at is not null as resolved "
                                "from monitor.alert_event where source = 'coldchain'").set_index("alert_key")
    assert summary.loc["coldchain:excursion", "severity"] == "critical"
    assert f"冷链温度超标 {len(expected)} 条新增" in summary.loc["coldchain:excursion", "message_zh"]
    assert bool(summary.loc["coldchain:excursion", "resolved"])
    assert truth.stopped and bool(summary.loc["coldchain:stopped", "resolved"]) is False  # still silent


def test_coldchain_statements_per_unit(inbound, tmp_path):
    from datetime import date

    import openpyxl

    from vaxdw.reports.exchange_exports import coldchain_devices, default_exports

    files = default_exports(inbound["warehouse"], tmp_path, date(2026, 1, 1), date(2026, 12, 31))
    (province,) = [f for f in files if f["report"] == "冷链温度监测统计表"]
    devices = coldchain_devices(inbound["warehouse"])
    sheet = openpyxl.load_workbook(province["path"]).worksheets[0]
    total_row = next(c.row for (c,) in sheet.iter_rows(min_col=1, max_col=1) if c.value == "合计")
    assert sheet.cell(total_row, 6).value == int(devices["readings"].sum()) > 0
    per_unit = list((tmp_path / "冷链温度监测统计表_按单位").glob("*.xlsx"))
    assert len(per_unit) == devices["unit_id"].nunique() == len(UNITS)
