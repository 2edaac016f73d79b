"""The exchange steps on a generated tiny province: uploads of recipients, vaccinations and staff to the
simulated national system behind the quality gate, circulation to the collaborative platform, and the
业务人员上传 statement — compared with independent pandas / SQL over the warehouse."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import openpyxl
import pandas as pd
import psycopg
import pytest

from tests.integration.exchange_world import SECRET
from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.exchange import steps
from vaxdw.exchange.receiver import create_receiver_app
from vaxdw.exchange.simulators.collab_pusher import Push, PushPlan, push_all
from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.exchange.simulators.upload_server import COLLAB_VALIDATORS, NIIS_VALIDATORS, create_app
from vaxdw.extract_load import load_all
from vaxdw.quality.checkpoint import run_checks
from vaxdw.reports.staff_upload import query_staff_upload
from vaxdw.settings import get_settings
from vaxdw.simulator import generate


@pytest.fixture(scope="module")
def province(pg_admin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exchange_pipeline")
    names = ("src_exchange_pipeline", "wh_exchange_pipeline")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=7)  # as the report tests: the full dbt build is known to be quick on it
    loads = load_all(source, warehouse, pipeline_run_id="exchange-test")
    run_dbt(warehouse, ["build"])
    run_checks(warehouse, [load.load_id for load in loads if load.rows_loaded], run_label="exchange-test")
    niis = ServerThread(create_app(tmp / "niis.sqlite", SECRET, NIIS_VALIDATORS, "niis")).start()
    collab = ServerThread(create_app(tmp / "collab.sqlite", SECRET, COLLAB_VALIDATORS, "collab")).start()
    settings = replace(get_settings(), source_url=source.url, warehouse_url=warehouse.url, out_dir=tmp / "out",
                       extra={"VAXDW_EXCHANGE_NIIS_URL": niis.url, "VAXDW_EXCHANGE_NIIS_SECRET": "test-secret",
                              "VAXDW_EXCHANGE_COLLAB_URL": collab.url, "VAXDW_EXCHANGE_COLLAB_SECRET": "test-secret",
                              "VAXDW_EXCHANGE_BATCH_SIZE": "500",
                              # stock documents: ~275k lines even in the tiny world; left out here
                              "VAXDW_EXCHANGE_CATEGORIES": "recipient,vaccination,staff,coldchain_equipment,circulation", "VAXDW_EXCHANGE_TIMEOUT_SECONDS": "10"})
    try:
        niis_step = steps.upload_national("exchange-test", settings, sleep=lambda s: None)
        collab_step = steps.upload_circulation("exchange-test", settings, sleep=lambda s: None)
        export_step = steps.export_exchange("exchange-test", settings)
        niis_stats = httpx.get(f"{niis.url}/_admin/stats").json()
    finally:
        niis.stop()
        collab.stop()
    return {"warehouse": warehouse, "niis": niis_step, "collab": collab_step, "export": export_step,
            "niis_stats": niis_stats, "settings": settings}


def _frame(warehouse, sql: str, params=None) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cur = conn.execute(sql, params)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


@pytest.mark.parametrize("category", ["recipient", "vaccination", "staff"])
def test_records_failing_blocking_rules_are_held_back(province, category):
    """Held back = the quality mart's blocked records (and, for doses, those of blocked recipients)."""
    warehouse = province["warehouse"]
    tables = {"recipient": ["dim_recipients", "chk_recipients"], "vaccination": ["fct_vaccinations",
              "chk_vaccinations"], "staff": ["chk_staff"]}
    blocked = set(_frame(warehouse, "select row_key from marts.rpt_dq_upload_blocked where table_name = any(%s)",
                         (tables[category],))["row_key"])
    if category == "vaccination":
        recipients = set(_frame(warehouse, "select row_key from marts.rpt_dq_upload_blocked "
                                           "where table_name = any(%s)", (tables["recipient"],))["row_key"])
        doses = _frame(warehouse, "select vaccination_id::text as key, recipient_id::text as recipient "
                                  "from marts.fct_vaccinations")
        blocked |= set(doses.loc[doses["recipient"].isin(recipients), "key"])
    held = _frame(warehouse, "select record_key, hold_reason from exchange.held_back where category = %s",
                  (category,))
    staged = _frame(warehouse, f"select {category}_id::text as key from staging.stg_ops__{category}")
    assert set(held["record_key"]) == blocked & set(staged["key"])
    if category != "staff":
        assert len(held) > 0
    assert held["hold_reason"].str.len().min() > 0 if len(held) else True


def test_every_changed_record_is_accounted_for(province):
    warehouse, step = province["warehouse"], province["niis"]
    for category in ("recipient", "vaccination", "staff"):
        staged = _frame(warehouse, f"select count(*) as n from staging.stg_ops__{category}")["n"][0]
        items = _frame(warehouse, "select status, count(*) as n from exchange.upload_item where category = %s "
                                  "group by status", (category,))
        counts = dict(zip(items["status"], items["n"], strict=True))
        assert sum(counts.values()) == staged, category  # one item per record: nothing dropped
        assert set(counts) <= {"accepted", "rejected", "held_back"}
        assert step["categories"][category]["enqueue"]["enqueued"] == staged
    for row in step["reconciliation"]:
        assert row["sent"] == row["accepted"] + row["rejected"] + row["in_flight"] and row["in_flight"] == 0
    remote = {r["category"]: r for r in province["niis_stats"]["records"]}
    accepted = _frame(warehouse, "select category, count(*) as n from exchange.upload_item "
                                 "where target = 'niis' and status = 'accepted' group by category")
    assert {c: remote[c]["creates"] for c in remote} == dict(zip(accepted["category"], accepted["n"], strict=True))
    assert province["niis_stats"]["duplicate_creates"] == 0
    assert step["categories"]["stock_document"]["enabled"] is False  # skipped by VAXDW_EXCHANGE_CATEGORIES
    for name, relation in (("coldchain_equipment", "marts.dim_cold_chain_equipment"),):
        entry = step["categories"][name]
        assert entry["enabled"] is True  # the traceability marts exist on main now
        rows = _frame(warehouse, f"select count(*) as n from {relation}")["n"][0]
        items = _frame(warehouse, "select count(*) as n from exchange.upload_item where category = %s", (name,))
        assert items["n"][0] == rows == entry["enqueue"]["enqueued"]
        assert entry["send"]["left_in_flight"] == 0


def test_circulation_upload_feedback(province):
    step = province["collab"]
    send = step["categories"]["circulation"]["send"]
    assert send["accepted"] > 0 and send["left_in_flight"] == 0
    rejected = _frame(province["warehouse"], "select distinct error_code, error_message from exchange.upload_item "
                                             "where category = 'circulation' and status = 'rejected'")
    assert set(rejected["error_code"]) <= {"E101"}


def test_staff_upload_report_equals_pandas(province):
    warehouse = province["warehouse"]
    staff = _frame(warehouse, "select staff_id::text as key, unit_id from staging.stg_ops__staff where not is_deleted")
    units = _frame(warehouse, "select unit_id, county_code from marts.dim_unit")
    items = _frame(warehouse, "select record_key as key, version, status, first_sent_at from exchange.upload_item "
                              "where category = 'staff'")
    sent = items[items["first_sent_at"].notna()].sort_values("version").groupby("key").tail(1)
    frame = staff.merge(units, on="unit_id", how="left").merge(sent[["key", "status"]], on="key", how="left")
    expected = frame.groupby("county_code").agg(
        staff_total=("key", "size"), uploaded=("status", lambda s: int((s == "accepted").sum())),
        failed=("status", lambda s: int((s == "rejected").sum()))).reset_index()
    report = query_staff_upload(warehouse, level="county")
    got = report.rows.set_index("region_code")[["staff_total", "uploaded", "failed"]].sort_index()
    want = expected.set_index("county_code").sort_index()
    assert (got.values == want.values).all() and list(got.index) == list(want.index)
    assert report.totals["staff_total"] == len(staff)
    assert report.totals["upload_rate"] == pytest.approx(report.totals["uploaded"] / len(staff))
    assert len(report.failures) == report.totals["failed"]


def test_staff_upload_statement_written(province):
    files = [f for f in province["export"]["files"] if f["report"] == "业务人员上传统计表"]
    assert len(files) == 2
    report = query_staff_upload(province["warehouse"], level="county")
    book = openpyxl.load_workbook(files[0]["path"])
    assert book.sheetnames == ["业务人员上传", "上传失败明细"]
    sheet = book["业务人员上传"]
    total_row = next(c.row for (c,) in sheet.iter_rows(min_col=1, max_col=1) if c.value == "合计")
    values = [c.value for c in sheet[total_row]]
    assert values[2] == report.totals["staff_total"] and values[3] == report.totals["uploaded"]


@pytest.fixture(scope="module")
def merged(province, tmp_path_factory):
    """The platform pushes, through our receiver: a product with a specification and a batch the operational
    source does not know, a purchase inbound of that batch, and a purchase inbound whose 单据号 duplicates an
    operational purchase document (with a different quantity). Then the exchange DAG's receive and dbt steps."""
    warehouse, settings = province["warehouse"], province["settings"]
    with connect(warehouse) as conn:
        spec_id, vaccine_code, maker, batch_no = conn.execute(
            "select spec.spec_id, spec.vaccine_code, spec.manufacturer_code, batch.batch_no "
            "from staging.stg_ops__product_spec as spec inner join staging.stg_ops__vaccine_batch as batch "
            "using (spec_id) order by spec.spec_id, batch.batch_no limit 1").fetchone()
        dup_doc_no, unit_id = conn.execute(
            "select doc_no, unit_id from staging.stg_ops__stock_doc where doc_type = 'IN_PURCHASE' and not is_deleted "
            "order by doc_id limit 1").fetchone()
    items = [
        {"item_type": "product", "version": 1, "data": {"product_code": "PT01", "vaccine_code": vaccine_code,
                                                        "product_name": "测试产品", "manufacturer_code": maker}},
        {"item_type": "specification", "version": 2, "data": {"spec_code": "CT0001", "product_code": "PT01",
                                                              "doses_per_unit": 2, "package_unit": "支"}},
        {"item_type": "batch", "version": 3, "data": {"product_code": "PT01", "batch_no": "CTB001",
                                                      "manufacturer_code": maker, "expiry_date": "2028-01-31"}},
        # the source's own specification and batch, pushed too: the source's values win
        {"item_type": "product", "version": 4, "data": {"product_code": "PT02", "vaccine_code": vaccine_code,
                                                        "product_name": "源有产品", "manufacturer_code": maker}},
        {"item_type": "specification", "version": 5, "data": {"spec_code": spec_id, "product_code": "PT02",
                                                              "doses_per_unit": 99}},
        {"item_type": "batch", "version": 6, "data": {"product_code": "PT02", "batch_no": batch_no,
                                                      "manufacturer_code": maker, "expiry_date": "2099-12-31"}},
    ]
    inbound = [
        {"item_type": "purchase_inbound", "version": 7, "data": {
            "doc_no": "CTRK0001", "unit_id": unit_id, "doc_date": "2026-03-02", "supplier_code": maker,
            "lines": [{"product_code": "PT01", "batch_no": "CTB001", "quantity": 10}]}},
        {"item_type": "purchase_inbound", "version": 8, "data": {
            "doc_no": dup_doc_no, "unit_id": unit_id, "doc_date": "2026-03-03",
            "lines": [{"product_code": "PT02", "batch_no": batch_no, "quantity": 99999}]}},
    ]
    plan = PushPlan([Push("CTMSG1", "basic_info", json.dumps({"message_id": "CTMSG1", "push_type": "basic_info",
                                                               "items": items}).encode()),
                     Push("CTMSG2", "purchase_inbound", json.dumps({"message_id": "CTMSG2",
                                                                     "push_type": "purchase_inbound",
                                                                     "items": inbound}).encode())])
    receiver = ServerThread(create_receiver_app(warehouse, {"NVCSP": "push-secret"})).start()
    try:
        answers = push_all(receiver.url, "NVCSP", "push-secret", plan)
    finally:
        receiver.stop()
    assert [a["http_status"] for a in answers] == [200, 200]
    steps.receive_pushes("exchange-test", settings)
    dbt = steps.build_exchange_marts("exchange-test", settings)
    return {"warehouse": warehouse, "spec_id": spec_id, "batch_no": batch_no, "dup_doc_no": dup_doc_no,
            "unit_id": unit_id, "dbt": dbt}


def test_pushed_batch_unknown_to_the_source_enters_the_stock_flow(merged):
    warehouse = merged["warehouse"]
    assert merged["dbt"]["tests_failed"] == 0
    batches = _frame(warehouse, "select batch_id, spec_id, batch_source, expiry_date::text as expiry "
                                "from intermediate.int_stock_batches where batch_source <> 'ops'")
    assert batches.set_index("batch_id")["batch_source"].to_dict() == {
        "CT0001:CTB001": "collab", f"{merged['spec_id']}:{merged['batch_no']}": "ops+collab"}
    source_expiry = _frame(warehouse, "select expiry_date::text as expiry from staging.stg_ops__vaccine_batch "
                                      "where batch_id = %s", (f"{merged['spec_id']}:{merged['batch_no']}",))
    merged_expiry = batches.set_index("batch_id")["expiry"]
    assert merged_expiry[f"{merged['spec_id']}:{merged['batch_no']}"] == source_expiry["expiry"][0]  # source wins
    specs = _frame(warehouse, "select spec_id, doses_per_unit, spec_source from intermediate.int_stock_specs "
                              "where spec_source <> 'ops' order by spec_id")
    assert specs.set_index("spec_id")["spec_source"].to_dict() == {"CT0001": "collab", merged["spec_id"]: "ops+collab"}
    moves = _frame(warehouse, "select doc_type, unit_id, quantity, dose_quantity, balance_after, doc_id, line_id "
                              "from marts.fct_stock_movements where batch_id = 'CT0001:CTB001'")
    assert len(moves) == 1
    move = moves.iloc[0]
    assert (move["doc_type"], move["unit_id"], move["quantity"], move["dose_quantity"], move["balance_after"]) == (
        "IN_PURCHASE", merged["unit_id"], 10, 20, 10)
    assert move["doc_id"] < 0 and move["line_id"] < 0  # platform-origin ids
    merge = merged["dbt"]["stock_merge"]  # what the demo summary prints
    assert (merge["purchase_docs_pushed"], merge["purchase_docs_added"], merge["purchase_lines_added"]) == (2, 1, 1)
    assert merge["batches_by_source"]["collab"] == 1 and merge["batches_by_source"]["ops+collab"] == 1


def test_pushed_inbound_duplicating_a_source_document_is_counted_once(merged):
    warehouse = merged["warehouse"]
    source_lines = _frame(warehouse, """
        select line.quantity from staging.stg_ops__stock_line as line
        inner join staging.stg_ops__stock_doc as doc using (doc_id) where doc.doc_no = %s
    """, (merged["dup_doc_no"],))
    moves = _frame(warehouse, "select quantity, line_id from marts.fct_stock_movements where doc_no = %s",
                   (merged["dup_doc_no"],))
    assert len(moves) == len(source_lines) > 0
    assert moves["quantity"].sum() == source_lines["quantity"].sum() and (moves["line_id"] > 0).all()


def test_ledgers_still_balance_with_pushed_documents(merged):
    """Per unit and batch, the last running balance equals the sum of signed quantities (pushed lines included)."""
    warehouse = merged["warehouse"]
    unbalanced = _frame(warehouse, """
        with last as (
            select distinct on (unit_id, batch_id) unit_id, batch_id, balance_after
            from marts.fct_stock_movements
            order by unit_id, batch_id, doc_date desc, is_in asc, doc_id desc, line_id desc
        )
        select last.unit_id, last.batch_id
        from last
        inner join (select unit_id, batch_id, sum(signed_quantity) as total from marts.fct_stock_movements
                    group by 1, 2) as totals using (unit_id, batch_id)
        where last.balance_after <> totals.total
    """)
    assert unbalanced.empty


def test_staff_upload_mart_equals_pandas(province):
    """rpt_staff_upload (the dashboards' 业务人员上传 by unit) rebuilt after the uploads, as the exchange DAG's
    build step does, against pandas over exchange.upload_item statuses and the current staff."""
    warehouse = province["warehouse"]
    assert "rpt_staff_upload" in steps.EXCHANGE_MODELS
    run_dbt(warehouse, ["run", "--select", "rpt_staff_upload"])
    staff = _frame(warehouse, "select staff_id::text as key, unit_id from staging.stg_ops__staff where not is_deleted")
    items = _frame(warehouse, "select record_key as key, version, status, first_sent_at from exchange.upload_item "
                              "where target = 'niis' and category = 'staff'")
    sent = items[items["first_sent_at"].notna()]
    latest = sent.sort_values("version").groupby("key").tail(1).set_index("key")["status"]
    held = set(items.loc[items["status"] == "held_back", "key"])
    frame = staff.assign(status=staff["key"].map(latest))
    frame["status"] = frame["status"].fillna(frame["key"].map(lambda k: "held_back" if k in held else "not_sent"))
    frame["items_sent"] = frame["key"].map(sent.groupby("key").size()).fillna(0)
    frame["items_rejected"] = frame["key"].map(sent[sent["status"] == "rejected"].groupby("key").size()).fillna(0)
    want = frame.groupby("unit_id").agg(
        staff_total=("key", "size"), uploaded=("status", lambda s: int((s == "accepted").sum())),
        failed=("status", lambda s: int((s == "rejected").sum())),
        in_flight=("status", lambda s: int((s == "in_flight").sum())),
        not_uploaded=("status", lambda s: int(s.isin(["not_sent", "held_back"]).sum())),
        items_sent=("items_sent", "sum"), items_rejected=("items_rejected", "sum")).sort_index()
    got = _frame(warehouse, "select * from marts.rpt_staff_upload").set_index("unit_id").sort_index()
    assert list(got.index) == list(want.index)
    for column in want.columns:
        assert [int(v) for v in got[column]] == [int(v) for v in want[column]], column
    assert want["uploaded"].sum() > 0  # the simulated national system accepted staff records
    rate = want["uploaded"] / want["staff_total"]
    assert [float(v) for v in got["upload_rate"]] == pytest.approx(list(rate.round(4)))
    # the province total equals the statement's (vaxdw.reports.staff_upload)
    totals = query_staff_upload(warehouse, level="county").totals
    assert int(got["uploaded"].sum()) == totals["uploaded"] and int(got["staff_total"].sum()) == totals["staff_total"]
