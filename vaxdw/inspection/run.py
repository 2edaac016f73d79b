"""Run one inspection: measure, compare with thresholds, record, alert, and write the Excel report.

Findings become alerts ``inspection:<code>`` through the one alert path; codes not found this time are
resolved (recovery message). Thresholds are parameters with the defaults below.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psutil

from vaxdw import clock
from vaxdw.db import PgParams, connect
from vaxdw.inspection.capacity import Projection, project
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

DDL = """
create schema if not exists monitor;
create table if not exists monitor.inspection (
    inspection_id bigserial primary key,
    inspected_at timestamptz not null default now(),
    cpu_percent double precision,
    memory_percent double precision,
    disk_path text,
    disk_total_bytes bigint,
    disk_used_bytes bigint,
    database_size_bytes bigint not null,
    growth_bytes_per_day double precision,
    exhaustion_date date,
    findings jsonb not null default '[]',
    report_path text
);
"""
CODES = ("disk", "memory", "cpu", "backup_missing", "restore_failed", "failed_loads", "failed_checks", "bloat",
         "capacity")


@dataclass(frozen=True)
class Thresholds:
    disk_percent: float = 85.0
    memory_percent: float = 90.0
    cpu_percent: float = 90.0
    backup_max_age_days: float = 8.0
    lookback_days: int = 7
    bloat_dead_ratio: float = 0.2
    bloat_min_dead_tuples: int = 10_000
    capacity_warn_days: int = 90


@dataclass
class Finding:
    code: str
    severity: str
    message_zh: str


@dataclass
class InspectionResult:
    inspection_id: int
    measures: dict
    projection: Projection
    findings: list[Finding]
    report_path: Path | None


def _exists(conn, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def run_inspection(warehouse: PgParams, settings: Settings | None = None, thresholds: Thresholds | None = None,
                   now: datetime | None = None, disk_path: Path | None = None, alert: bool = True) -> InspectionResult:
    from vaxdw.alerts import raise_alert, resolve_alert

    settings = settings or get_settings()
    thresholds = thresholds or Thresholds()
    now = now or clock.now()
    disk_path = disk_path or settings.out_dir.parent
    disk = shutil.disk_usage(disk_path if disk_path.exists() else Path("/"))
    measures = {
        "cpu_percent": psutil.cpu_percent(interval=0.5),
        "memory_percent": psutil.virtual_memory().percent,
        "disk_path": str(disk_path),
        "disk_total_bytes": disk.total,
        "disk_used_bytes": disk.used,
        "disk_percent": round(100 * disk.used / disk.total, 1),
    }
    findings: list[Finding] = []
    since = now - timedelta(days=thresholds.lookback_days)
    with connect(warehouse) as conn:
        conn.execute(DDL)
        measures["database_size_bytes"] = conn.execute("select pg_database_size(current_database())").fetchone()[0]
        history = conn.execute(
            "select inspected_at, database_size_bytes from monitor.inspection order by inspected_at").fetchall()
        projection = project(history + [(now, measures["database_size_bytes"])],
                             disk.total - disk.used, now)
        last_full = conn.execute(
            "select max(finished_at) from monitor.backup_run where kind = 'full' and status = 'succeeded'"
        ).fetchone()[0] if _exists(conn, "monitor.backup_run") else None
        last_verify = None
        if _exists(conn, "monitor.restore_check"):
            last_verify = conn.execute(
                "select ok, checked_at from monitor.restore_check order by check_id desc limit 1").fetchone()
        failed_loads = conn.execute(
            "select table_name, count(*) from control.load where status = 'failed' and finished_at >= %s "
            "group by 1 order by 1", (since,)).fetchall() if _exists(conn, "control.load") else []
        failed_checks = conn.execute(
            "select count(*) from dq.check_run where status in ('failed', 'error') and started_at >= %s",
            (since,)).fetchone()[0] if _exists(conn, "dq.check_run") else 0
        bloated = conn.execute(
            "select schemaname || '.' || relname, n_dead_tup, n_live_tup from pg_stat_user_tables "
            "where n_dead_tup >= %s and n_dead_tup > %s * (n_live_tup + n_dead_tup) order by n_dead_tup desc",
            (thresholds.bloat_min_dead_tuples, thresholds.bloat_dead_ratio)).fetchall()
    measures["last_full_backup_at"] = last_full.isoformat() if last_full else None
    measures["last_restore_verify"] = (
        {"ok": last_verify[0], "at": last_verify[1].isoformat()} if last_verify else None)
    measures["failed_loads"] = dict(failed_loads)
    measures["failed_check_runs"] = failed_checks
    measures["bloated_tables"] = [{"table": t, "dead": d, "live": live} for t, d, live in bloated]

    if measures["disk_percent"] > thresholds.disk_percent:
        findings.append(Finding("disk", "critical", f"磁盘使用率 {measures['disk_percent']}%，超过 {thresholds.disk_percent}%"))
    if measures["memory_percent"] > thresholds.memory_percent:
        findings.append(Finding("memory", "warning", f"内存使用率 {measures['memory_percent']}%，超过 {thresholds.memory_percent}%"))
    if measures["cpu_percent"] > thresholds.cpu_percent:
        findings.append(Finding("cpu", "warning", f"CPU 使用率 {measures['cpu_percent']}%，超过 {thresholds.cpu_percent}%"))
    if last_full is None or now - last_full > timedelta(days=thresholds.backup_max_age_days):
        findings.append(Finding("backup_missing", "critical",
                                f"{thresholds.backup_max_age_days:g} 天内没有成功的全量备份"
                                + (f"（最近一次 {last_full:%Y-%m-%d}）" if last_full else "（从未备份）")))
    if last_verify and not last_verify[0]:
        findings.append(Finding("restore_failed", "critical", "最近一次备份恢复校验失败"))
    if failed_loads:
        findings.append(Finding("failed_loads", "warning", f"近 {thresholds.lookback_days} 天抽取失败："
                                + "、".join(f"{t} {n} 次" for t, n in failed_loads)))
    if failed_checks:
        findings.append(Finding("failed_checks", "warning", f"近 {thresholds.lookback_days} 天有 {failed_checks} 次质量检查失败或出错"))
    if bloated:
        findings.append(Finding("bloat", "info", f"{len(bloated)} 张表死元组比例过高，建议 VACUUM：" + "、".join(t for t, *_ in bloated[:5])))
    if projection.exhaustion_date and (
            datetime.fromisoformat(projection.exhaustion_date).date() - now.date()).days < thresholds.capacity_warn_days:
        findings.append(Finding("capacity", "warning", f"按当前增长速度，磁盘预计于 {projection.exhaustion_date} 耗尽"))

    report_path = None
    with connect(warehouse) as conn:
        inspection_id = conn.execute(
            "insert into monitor.inspection (inspected_at, cpu_percent, memory_percent, disk_path, disk_total_bytes, "
            "disk_used_bytes, database_size_bytes, growth_bytes_per_day, exhaustion_date, findings) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning inspection_id",
            (now, measures["cpu_percent"], measures["memory_percent"], measures["disk_path"],
             measures["disk_total_bytes"], measures["disk_used_bytes"], measures["database_size_bytes"],
             projection.growth_bytes_per_day, projection.exhaustion_date,
             json.dumps([asdict(f) for f in findings], ensure_ascii=False)),
        ).fetchone()[0]
    from vaxdw.inspection.report import write_report

    report_path = write_report(settings.out_dir, now, measures, projection, findings)
    with connect(warehouse) as conn:
        conn.execute("update monitor.inspection set report_path = %s where inspection_id = %s",
                     (str(report_path), inspection_id))
    if alert:
        found = {f.code for f in findings}
        for finding in findings:
            raise_alert(warehouse, f"inspection:{finding.code}", finding.severity, "inspection",
                        f"巡检发现：{finding.message_zh}", settings=settings)
        for code in set(CODES) - found:
            resolve_alert(warehouse, f"inspection:{code}", settings=settings)
    return InspectionResult(inspection_id, measures, projection, findings, report_path)
