"""The audit trail: retention purge (exactly the old rows, one transaction, its own record), the
审计日志报表 against an independent SQL count, and the login audit of a named CLI user."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from exporters.audit import write_audit_report
from vaxdw import cli
from vaxdw.access.audit import log_export
from vaxdw.audit.events import insert_event, record_config
from vaxdw.audit.report import query_audit_report
from vaxdw.audit.retention import RetentionError, purge_audit
from vaxdw.db import connect
from vaxdw.repair.service import ensure_repair_schema

NOW = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)  # every audit row below is stamped relative to it, never now()
NOW_MONTH = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date().replace(day=1)  # the report's months are local
# (table, timestamp column, ages in days): 400 and 2000 days are past a 365-day retention, the rest are not
AGES = {"audit.export_log": ("requested_at", [2000, 400, 364, 3]),
        "audit.event_log": ("occurred_at", [400, 365.5, 100, 1]),
        "curated.repair_audit": ("changed_at", [2000, 30])}


def _seed(warehouse) -> None:
    """Audit rows of every kind, at known ages, for two users over several months."""
    for i, _ in enumerate(AGES["audit.export_log"][1]):
        log_export(warehouse, "xian_cdc" if i % 2 else "prov_admin", "产科未种原因", "export_detail",
                   {"region": "610100"}, 10 + i, allowed=i != 1, reason=None if i != 1 else "无权导出明细")
    with connect(warehouse) as conn:
        for i, _ in enumerate(AGES["audit.event_log"][1]):
            insert_event(conn, "login", "xian_cdc", "repair apply", {"argv": ["repair"]}, outcome=f"exit {i % 2}")
        ensure_repair_schema(conn)
        for i, _ in enumerate(AGES["curated.repair_audit"][1]):
            repair_id = conn.execute("insert into curated.repair (rule_id, action, created_by, changes, status) "
                                     "values ('ID_SEX', 'sex_from_id', 'qc_li', 2, 'applied') "
                                     "returning repair_id").fetchone()[0]
            for cell in range(2):
                conn.execute("insert into curated.repair_audit (repair_id, event, rule_id, table_name, row_key, "
                             "column_name, before_value, after_value, changed_by) "
                             "values (%s, 'apply', 'ID_SEX', 'recipient', %s, 'sex', '1', '2', 'qc_li')",
                             (repair_id, f"{i}-{cell}"))
        for table, (column, ages) in AGES.items():
            key = {"audit.export_log": "export_log_id", "audit.event_log": "event_id",
                   "curated.repair_audit": "repair_id"}[table]
            ids = [row[0] for row in conn.execute(f"select distinct {key} from {table} order by 1")]
            for ident, age in zip(ids, ages, strict=True):
                conn.execute(f"update {table} set {column} = %s where {key} = %s", (NOW - timedelta(days=age), ident))


def _count(conn, table, column, cutoff=None) -> int:
    where = f" where {column} < %s" if cutoff else ""
    return conn.execute(f"select count(*) from {table}{where}", (cutoff,) if cutoff else ()).fetchone()[0]


def test_retention_purge_removes_exactly_the_old_rows(fresh_dbs):
    _, warehouse = fresh_dbs
    _seed(warehouse)
    with pytest.raises(RetentionError, match="至少六个月"):
        purge_audit(warehouse, 90, user="ops", now=NOW)
    cutoff = NOW - timedelta(days=365)
    with connect(warehouse) as conn:
        before = {t: _count(conn, t, c) for t, (c, _) in AGES.items()}
        old = {t: _count(conn, t, c, cutoff) for t, (c, _) in AGES.items()}
    assert old == {"audit.export_log": 2, "audit.event_log": 2, "curated.repair_audit": 2}

    dry = purge_audit(warehouse, 365, user="ops", now=NOW, dry_run=True)
    assert dry.deleted == old and dry.event_id is None
    result = purge_audit(warehouse, 365, user="ops_wang", now=NOW)
    assert result.deleted == old and result.cutoff == cutoff
    with connect(warehouse) as conn:
        after = {t: _count(conn, t, c) for t, (c, _) in AGES.items()}
        assert {t: _count(conn, t, c, cutoff) for t, (c, _) in AGES.items()} == dict.fromkeys(AGES, 0)
        user, detail, outcome = conn.execute(
            "select user_name, detail, outcome from audit.event_log where kind = 'retention_purge'").fetchone()
        assert conn.execute("select count(*) from curated.repair").fetchone()[0] == 2  # batches stay (corrections)
    # kept: everything younger than the cutoff, plus the purge's own record
    assert after == {t: before[t] - old[t] + (t == "audit.event_log") for t in AGES}
    assert (user, detail["deleted"], detail["retention_days"], outcome) == ("ops_wang", old, 365, "deleted 6")
    assert purge_audit(warehouse, 365, user="ops", now=NOW).total == 0  # rerun: nothing more to delete


def test_audit_report_counts_equal_independent_sql(fresh_dbs, tmp_path):
    _, warehouse = fresh_dbs
    _seed(warehouse)
    for minute, users, changed in ((0, ["a"], True), (1, ["a"], False), (2, ["a", "b"], True)):  # 2nd: unchanged
        assert record_config(warehouse, "config/access.yaml", {"users": users}, user="sec_admin",
                             at=NOW + timedelta(minutes=minute)) is changed
    month_from, month_to = date(2025, 1, 1), NOW_MONTH
    report = query_audit_report(warehouse, month_from, month_to)

    with connect(warehouse) as conn:  # the same counts, written separately over each table
        expected: dict[tuple[str, str, str], list[int]] = {}

        def add(rows, kind):
            for month, user, n, failed in rows:
                expected[(month, kind, user)] = [n, failed]

        after_to = (month_to + timedelta(days=31)).replace(day=1)
        window = (f"{month_from} 00:00+08", f"{after_to} 00:00+08")
        add(conn.execute("select to_char(requested_at at time zone 'Asia/Shanghai', 'YYYY-MM'), user_name, "
                         "count(*), sum(case when is_allowed then 0 else 1 end) from audit.export_log "
                         "where requested_at >= %s and requested_at < %s group by 1, 2", window), "export")
        add(conn.execute("select m, changed_by, count(*), 0 from (select to_char(min(changed_at) at time zone "
                         "'Asia/Shanghai', 'YYYY-MM') as m, changed_by from curated.repair_audit "
                         "group by repair_id, event, changed_by having min(changed_at) >= %s and min(changed_at) < %s)"
                         " as batches group by 1, 2", window), "repair")
        for kind in ("login", "config_change"):
            add(conn.execute("select to_char(occurred_at at time zone 'Asia/Shanghai', 'YYYY-MM'), user_name, "
                             "count(*), sum(case when kind = 'login' and outcome <> 'exit 0' then 1 else 0 end) "
                             "from audit.event_log where kind = %s and occurred_at >= %s and occurred_at < %s "
                             "group by 1, 2", (kind, *window)), kind)
    got = {(r["month"], r["kind"], r["user_name"]): [r["events"], r["failures"]] for r in report.summary}
    assert got == expected
    config_key = (f"{NOW_MONTH:%Y-%m}", "config_change", "sec_admin")
    assert config_key in got and got[config_key][0] == 2
    assert report.total == len(report.detail) == sum(v[0] for v in expected.values())
    changes = [r for r in report.detail if r["kind_zh"] == "配置变更"]
    assert "旧" not in changes[0]["content"] and "旧" in changes[1]["content"]  # old/new hash shown

    path = write_audit_report(report, tmp_path / "审计日志报表.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "明细"]
    cells = [row for row in wb["汇总"].iter_rows(values_only=True) if row[0] == "合计"]
    assert cells and cells[0][3] == report.total
    assert sum(1 for row in wb["明细"].iter_rows(values_only=True) if row[1] in ("导出", "修复", "登录", "配置变更")) \
        == len(report.detail)
    only_exports = query_audit_report(warehouse, month_from, month_to, user="xian_cdc", kind="export")
    assert {(r["kind"], r["user_name"]) for r in only_exports.summary} == {("export", "xian_cdc")}


def test_named_cli_user_is_audited_as_a_login(fresh_dbs, monkeypatch, tmp_path, capsys):
    source, warehouse = fresh_dbs
    monkeypatch.setenv("VAXDW_SOURCE_URL", source.url)
    monkeypatch.setenv("VAXDW_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("VAXDW_OUT_DIR", str(tmp_path))
    assert cli.main(["repair", "apply", "--rule", "NO_SUCH_RULE", "--user", "qc_li"]) == 2  # refused, still audited
    assert cli.main(["audit", "report", "--user", "auditor_zhao", "--from", "2026-01", "--to", "2026-12"]) == 0
    assert cli.main(["audit", "purge", "--user", "auditor_zhao", "--retention-days", "30"]) == 2
    with connect(warehouse) as conn:
        rows = conn.execute("select kind, user_name, subject, outcome, detail from audit.event_log "
                            "order by event_id").fetchall()
    assert [r[:4] for r in rows] == [("login", "qc_li", "repair apply", "exit 2"),
                                     ("login", "auditor_zhao", "audit report", "exit 0"),
                                     ("login", "auditor_zhao", "audit purge", "exit 2")]
    assert rows[0][4]["argv"][:2] == ["repair", "apply"]
    assert "审计日志报表_202601_202612.xlsx" in capsys.readouterr().out
    assert json.dumps(rows[1][4], ensure_ascii=False).count("auditor_zhao") == 1
