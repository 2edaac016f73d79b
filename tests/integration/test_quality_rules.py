"""The national rules on a generated province with injected faults: recall/precision against the
manifest, the anomaly report against independent SQL, the Excel export, the upload gate, the
rule-version switch, and a bulk repair (preview = apply, anomaly gone after rebuild, undo restores,
audit complete). One generated province per module (tiny, raised fault rates)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pandas as pd
import psycopg
import pytest
from openpyxl import load_workbook

from exporters.anomalies import write_anomaly_detail, write_anomaly_summary
from vaxdw.db import connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.quality import gate
from vaxdw.quality.anomalies import query_anomaly_detail, query_anomaly_summary
from vaxdw.quality.checkpoint import run_checks
from vaxdw.quality.evaluate import evaluate, write
from vaxdw.repair import service
from vaxdw.simulator import generate
from vaxdw.simulator.faults import FAULT_TYPES

ON = dt.date(2026, 6, 1)  # rule set 2026.1
RATES = {name: 0.01 for name in FAULT_TYPES}


@pytest.fixture(scope="module")
def province(pg_admin):
    names = ("src_quality_rules", "wh_quality_rules")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=11, fault_rates=RATES)
    loads = load_all(source, warehouse, pipeline_run_id="quality-test")
    assert run_dbt(warehouse, ["build"]).ok
    load_ids = [r.load_id for r in loads if r.rows_loaded]
    result = run_checks(warehouse, load_ids, run_label="quality-test", on=ON, data_docs=False)
    return source, warehouse, load_ids, result


def test_every_record_rule_finds_its_faults(province, tmp_path):
    source, warehouse, _, result = province
    assert "DOSES_VS_STOCK" in result.pending and "DOSES_VS_STOCK" not in result.counts
    evaluation = evaluate(source, warehouse)
    assert {s.rule_id for s in evaluation.rules} >= {"ID_ADDRESS_PREFIX", "DUPLICATE_RECIPIENT", "STAFF_ID_UNIQUE",
                                                     "DOSE_NO_INCREASING", "REQUIRED_FIELDS"}
    for score in evaluation.rules:
        assert score.expected > 0, score.rule_id
        assert score.recall == 1.0, (score.rule_id, score.missed)
        assert score.precision >= 0.99, (score.rule_id, score.false_positives)
    for fault, counts in evaluation.quarantine.items():
        assert counts["expected"] > 0 and counts["found"] == counts["expected"], fault
    (path,) = write(evaluation, tmp_path / "dq_eval.json")
    assert '"recall": 1.0' in path.read_text(encoding="utf-8")


def _current(warehouse) -> pd.DataFrame:
    with connect(warehouse) as conn:
        return pd.DataFrame(
            conn.execute(
                "select a.rule_id, a.severity, a.table_name, a.row_key, coalesce(u.county_code, '') as county_code "
                "from dq.current_anomaly a "
                "left join marts.dim_recipients r on a.table_name in ('dim_recipients', 'chk_recipients') "
                "  and r.recipient_id::text = a.row_key "
                "left join marts.fct_vaccinations v on a.table_name in ('fct_vaccinations', 'chk_vaccinations') "
                "  and v.vaccination_id::text = a.row_key "
                "left join ops_staff s on a.table_name = 'chk_staff' and s.staff_id::text = a.row_key "
                "left join marts.dim_unit u on u.unit_id = coalesce(r.managing_unit_id, v.unit_id, s.unit_id, "
                "  case when a.table_name like 'chk_unit%%' then split_part(a.row_key, ':', 1) end)"
                .replace("ops_staff", "staging.stg_ops__staff")
            ).fetchall(),
            columns=["rule_id", "severity", "table_name", "row_key", "county_code"],
        )


def test_anomaly_report_equals_independent_sql(province, tmp_path):
    _, warehouse, _, _ = province
    expected = _current(warehouse).groupby(["county_code", "rule_id"]).size().rename("records").reset_index()
    report = query_anomaly_summary(warehouse, level="county")
    got = report.rows[["area_code", "rule_id", "records"]].rename(columns={"area_code": "county_code"})
    pd.testing.assert_frame_equal(
        got.sort_values(["county_code", "rule_id"]).reset_index(drop=True),
        expected.sort_values(["county_code", "rule_id"]).reset_index(drop=True), check_dtype=False,
    )
    # drill down: one city, one rule
    city = report.rows["area_code"].iloc[0][:4] + "00"
    detail = query_anomaly_detail(warehouse, region_code=city, rule_id="ENTRY_AFTER_VAX")
    current = _current(warehouse)
    want = set(current[(current.rule_id == "ENTRY_AFTER_VAX") & current.county_code.str.startswith(city[:4])].row_key)
    assert set(detail.row_key) == want
    # Excel: the summary's total row and the detail's rows
    summary_path = write_anomaly_summary(report, tmp_path / "summary.xlsx")
    detail_all = query_anomaly_detail(warehouse)
    detail_path = write_anomaly_detail(detail_all, tmp_path / "detail.xlsx", {"地区": "全省"})
    ws = load_workbook(summary_path).active
    totals = [row for row in ws.iter_rows(values_only=True) if row and "合计" in (row[0], row[1])]
    assert totals and totals[0][-1] == len(current)
    ws = load_workbook(detail_path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert sum(1 for row in rows if row and row[0] in set(current.rule_id)) == len(current)
    # the record ids are written as the ids they are ("374", never "374.0")
    header = next(i for i, row in enumerate(rows) if row and "接种记录编号" in row)
    id_cells = [row[rows[header].index(name)] for row in rows[header + 1:] if row and row[0] in set(current.rule_id)
                for name in ("受种者编号", "接种记录编号")]
    assert any(id_cells) and all(re.fullmatch(r"[0-9]+", cell) for cell in id_cells if cell), id_cells[:10]


def test_upload_gate_holds_back_blocking_records(province):
    _, warehouse, _, _ = province
    current = _current(warehouse)
    errors = current[current.severity == "error"]
    recipients = set(errors[errors.table_name.isin(["dim_recipients", "chk_recipients"])].row_key)
    assert gate.held_back(warehouse, "recipient") == recipients
    doses = set(errors[errors.table_name.isin(["fct_vaccinations", "chk_vaccinations"])].row_key)
    with connect(warehouse) as conn:
        of_recipients = {str(v) for (v,) in conn.execute(
            "select vaccination_id from marts.fct_vaccinations where recipient_id::text = any(%s)",
            (sorted(recipients),))}
    assert gate.held_back(warehouse, "vaccination") == doses | of_recipients
    assert gate.held_back(warehouse, "vaccination", include_recipient=False) == doses
    assert len(gate.blocked_records(warehouse)) == len(set(zip(errors.table_name, errors.row_key, strict=True)))


def _rule_keys(warehouse, rule_id) -> set[str]:
    with connect(warehouse) as conn:
        return {k for (k,) in conn.execute(
            "select row_key from marts.rpt_dq_anomaly where rule_id = %s", (rule_id,))}


def test_bulk_repair_preview_apply_rebuild_undo(province):
    source, warehouse, _, _ = province
    rules = ("ID_SEX", "DOSE_NO_INCREASING", "TOWNSHIP_CODE_CURRENT", "NAME_NORMALISED")
    before = {rule: _rule_keys(warehouse, rule) for rule in rules}
    assert all(before.values()), before
    with connect(warehouse) as conn:
        raw_before = conn.execute("select md5(string_agg(t::text, '' order by t::text)) from raw.recipient t").fetchone()
    previews = {rule: service.preview(warehouse, rule) for rule in rules}
    applied = {rule: service.apply(warehouse, rule, user="质控员甲") for rule in rules}
    for rule in rules:
        assert previews[rule].count == applied[rule].count > 0, rule
        assert previews[rule].changes == applied[rule].changes
        assert {c.row_key for c in applied[rule].changes} == before[rule] or rule == "DOSE_NO_INCREASING"
    with connect(warehouse) as conn:
        audit = conn.execute(
            "select repair_id, rule_id, table_name, row_key, column_name, before_value, after_value, changed_by "
            "from curated.repair_audit where event = 'apply'").fetchall()
        assert conn.execute("select md5(string_agg(t::text, '' order by t::text)) from raw.recipient t").fetchone() \
            == raw_before  # raw never edited
    expected_audit = {(applied[r].repair_id, r, c.table_name, c.row_key, c.column_name, c.old_value, c.new_value,
                       "质控员甲") for r in rules for c in applied[r].changes}
    assert set(audit) == expected_audit and len(audit) == len(expected_audit)

    assert run_dbt(warehouse, ["build"]).ok
    recheck = run_checks(warehouse, [], run_label="after-repair", on=ON, data_docs=False)
    assert recheck.rechecked > 0
    for rule in rules:
        assert not _rule_keys(warehouse, rule) & {c.row_key for c in applied[rule].changes}, rule
    with connect(warehouse) as conn:
        sexes = dict(conn.execute("select recipient_id::text, sex from marts.dim_recipients").fetchall())
    for c in applied["ID_SEX"].changes:
        assert sexes[c.row_key] == c.new_value

    undone = {rule: service.undo(warehouse, user="质控员乙", rule_id=rule) for rule in rules}
    for rule in rules:
        assert undone[rule].count == applied[rule].count
    assert run_dbt(warehouse, ["build"]).ok
    run_checks(warehouse, [], run_label="after-undo", on=ON, data_docs=False)
    for rule in rules:
        assert _rule_keys(warehouse, rule) == before[rule], rule
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from curated.repair_audit where event = 'undo'").fetchone()[0] == len(audit)
        assert conn.execute("select count(*) from curated.correction where is_active").fetchone()[0] == 0
    with pytest.raises(service.RepairError, match="没有可撤销的修复"):
        service.undo(warehouse, user="质控员乙", rule_id="ID_SEX")
    with pytest.raises(service.RepairError, match="不支持批量修复"):
        service.preview(warehouse, "ID_CHECK_DIGIT")


def test_same_data_two_rule_versions(province):
    _, warehouse, load_ids, _ = province
    old = run_checks(warehouse, load_ids, run_label="v2024", on=dt.date(2025, 6, 1), data_docs=False)
    new = run_checks(warehouse, load_ids, run_label="v2026", on=ON, data_docs=False)
    assert (old.rule_set_version, new.rule_set_version) == ("2024.1", "2026.1")
    assert set(old.counts) == {"ID_FORMAT", "ID_CHECK_DIGIT", "ID_BIRTH_DATE", "ID_SEX", "BIRTH_NOT_FUTURE",
                               "VAX_AFTER_BIRTH", "ENTRY_AFTER_VAX", "UPLOAD_AFTER_ENTRY", "VAX_TIMES_NOT_FUTURE",
                               "EXPIRY_NOT_BEFORE_VAX"}
    assert set(new.counts) > set(old.counts)
    for rule in old.counts:  # the inherited rules give the same verdicts
        assert new.counts[rule] == old.counts[rule], rule
    assert new.counts["DUPLICATE_RECIPIENT"] > 0 and "DUPLICATE_RECIPIENT" not in old.counts
    with connect(warehouse) as conn:
        keys = {run: {(r, k) for r, k in conn.execute(
            "select rule_id, row_key from dq.failed_row where run_id = %s", (run,))} for run in (old.run_id, new.run_id)}
        versions = dict(conn.execute("select run_id, rule_set_version from dq.check_run where run_id = any(%s)",
                                     ([old.run_id, new.run_id],)).fetchall())
    assert keys[old.run_id] < keys[new.run_id]
    assert versions == {old.run_id: "2024.1", new.run_id: "2026.1"}


def test_doses_vs_stock_from_rule_set_2026_2(province):
    """Rule set 2026.2 activates DOSES_VS_STOCK (pending in 2026.1): scored against the generator's
    dose_without_stock_movement faults by unit x batch, checked against an independent comparison of
    OUT_USE 人份 with the doses per unit x batch, and shown in the anomaly report with unit and region.
    Runs last: it leaves the 2026.2 verdicts in dq.current_anomaly."""
    source, warehouse, load_ids, _ = province
    result = run_checks(warehouse, load_ids, run_label="v2026.2", on=dt.date(2026, 12, 1), data_docs=False)
    assert result.rule_set_version == "2026.2" and not result.pending
    assert not any(o.error for o in result.rules), result.as_text()
    (score,) = [s for s in evaluate(source, warehouse).rules if s.rule_id == "DOSES_VS_STOCK"]
    assert score.expected > 0 and score.precision >= 0.99, score.false_positives
    # every injected fault changes the stock record; BCG (opened vials discarded after the session) is
    # also reconciled per day, so open-vial wastage on other days cannot hide a missing deduction
    assert score.recall == 1.0, score.missed

    # Independent: per unit x batch, 人份 used (OUT_USE quantity x doses per unit) vs doses recorded;
    # and for BCG (var dq_session_discard_vaccine_codes) the same per day.
    with connect(warehouse) as conn:
        conn.execute("set enable_nestloop = off")  # the planner's row estimates are poor here
        independent = {key for (key,) in conn.execute("""
            with used as (
                select d.unit_id, s.vaccine_code, s.manufacturer_code, b.batch_no,
                    sum(l.quantity) as vials, sum(l.quantity * coalesce(s.doses_per_unit, 1)) as dose_units,
                    max(coalesce(s.doses_per_unit, 1)) as per_unit
                from staging.stg_ops__stock_line l
                join staging.stg_ops__stock_doc d on d.doc_id = l.doc_id
                join staging.stg_ops__vaccine_batch b on b.batch_id = l.batch_id
                join staging.stg_ops__product_spec s on s.spec_id = b.spec_id
                where d.doc_type = 'OUT_USE' and not d.is_deleted
                group by 1, 2, 3, 4),
            given as (
                select unit_id, vaccine_code, manufacturer_code, batch_no, count(*) as doses
                from staging.stg_ops__vaccination
                where not is_deleted and manufacturer_code is not null and batch_no is not null
                group by 1, 2, 3, 4),
            used_day as (
                select d.unit_id, s.vaccine_code, s.manufacturer_code, b.batch_no, d.doc_date as day,
                    sum(l.quantity * coalesce(s.doses_per_unit, 1)) as dose_units
                from staging.stg_ops__stock_line l
                join staging.stg_ops__stock_doc d on d.doc_id = l.doc_id
                join staging.stg_ops__vaccine_batch b on b.batch_id = l.batch_id
                join staging.stg_ops__product_spec s on s.spec_id = b.spec_id
                where d.doc_type = 'OUT_USE' and not d.is_deleted and s.vaccine_code = '0101'
                group by 1, 2, 3, 4, 5),
            given_day as (
                select unit_id, vaccine_code, manufacturer_code, batch_no, vaccinated_at::date as day, count(*) as doses
                from staging.stg_ops__vaccination
                where not is_deleted and manufacturer_code is not null and batch_no is not null
                    and vaccine_code = '0101'
                group by 1, 2, 3, 4, 5)
            select coalesce(u.unit_id, g.unit_id) || ':' || coalesce(u.vaccine_code, g.vaccine_code) || ':'
                || coalesce(u.manufacturer_code, g.manufacturer_code) || ':' || coalesce(u.batch_no, g.batch_no)
            from used u full join given g using (unit_id, vaccine_code, manufacturer_code, batch_no)
            where left(coalesce(u.vaccine_code, g.vaccine_code), 2) not in ('28', '20')
              and not (coalesce(u.per_unit, 1) = 1 and coalesce(u.dose_units, 0) = coalesce(g.doses, 0))
              and not (coalesce(u.per_unit, 1) > 1 and coalesce(u.dose_units, 0) >= coalesce(g.doses, 0)
                       and coalesce(u.vials, 0) <= coalesce(g.doses, 0))
            union
            select g.unit_id || ':' || g.vaccine_code || ':' || g.manufacturer_code || ':' || g.batch_no
            from given_day g left join used_day u using (unit_id, vaccine_code, manufacturer_code, batch_no, day)
            where g.doses > coalesce(u.dose_units, 0)
        """)}
        flagged = {k for (k,) in conn.execute(
            "select row_key from dq.current_anomaly where rule_id = 'DOSES_VS_STOCK'")}
    assert flagged == independent and result.counts["DOSES_VS_STOCK"] == len(flagged)

    detail = query_anomaly_detail(warehouse, rule_id="DOSES_VS_STOCK")
    assert set(detail.row_key) == flagged
    assert detail.unit_id.notna().all() and (detail.unit_id == detail.row_key.str.split(":").str[0]).all()
    summary = query_anomaly_summary(warehouse, level="county", rule_id="DOSES_VS_STOCK")
    assert summary.rows["records"].sum() == len(flagged) and (summary.rows["area_code"] != "").all()
