"""The inspection report (巡检报告) as an Excel workbook: summary, findings, capacity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}


def _gib(value: float | None) -> float | None:
    return None if value is None else round(value / 2**30, 2)


def write_report(out_dir: Path, at: datetime, measures: dict, projection, findings) -> Path:
    local = at.astimezone(timezone(timedelta(hours=8)))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"巡检报告_{local:%Y%m%d}.xlsx"
    wb = Workbook()
    summary = wb.active
    summary.title = "概要"
    summary.append(["陕西省免疫规划数据仓库 巡检报告"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["巡检时间", f"{local:%Y-%m-%d %H:%M}"])
    rows = [
        ("CPU 使用率（%）", measures["cpu_percent"]),
        ("内存使用率（%）", measures["memory_percent"]),
        ("磁盘路径", measures["disk_path"]),
        ("磁盘容量（GiB）", _gib(measures["disk_total_bytes"])),
        ("磁盘已用（GiB）", _gib(measures["disk_used_bytes"])),
        ("磁盘使用率（%）", measures["disk_percent"]),
        ("数据库大小（MiB）", round(measures["database_size_bytes"] / 2**20, 1)),
        ("最近全量备份", measures["last_full_backup_at"] or "无"),
        ("最近恢复校验", "无" if not measures["last_restore_verify"]
         else ("通过" if measures["last_restore_verify"]["ok"] else "失败")),
        ("近期抽取失败次数", sum(measures["failed_loads"].values())),
        ("近期质量检查失败次数", measures["failed_check_runs"]),
        ("发现问题数", len(findings)),
    ]
    for row in rows:
        summary.append(list(row))
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 30

    sheet = wb.create_sheet("发现")
    sheet.append(["级别", "类别", "说明"])
    for finding in findings:
        sheet.append([SEVERITY_ZH.get(finding.severity, finding.severity), finding.code, finding.message_zh])
    if not findings:
        sheet.append(["", "", "未发现问题"])
    sheet.column_dimensions["C"].width = 80

    capacity = wb.create_sheet("容量")
    capacity.append(["历史点数", projection.points])
    capacity.append(["日增长（MiB/天）", None if projection.growth_bytes_per_day is None
                     else round(projection.growth_bytes_per_day / 2**20, 3)])
    capacity.append(["预计磁盘耗尽日期", projection.exhaustion_date or "不增长或历史不足"])
    capacity.append([])
    capacity.append(["膨胀表", "死元组", "活元组"])
    for item in measures["bloated_tables"]:
        capacity.append([item["table"], item["dead"], item["live"]])
    capacity.column_dimensions["A"].width = 24
    wb.save(path)
    return path
