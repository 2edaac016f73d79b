"""业务人员上传统计表: one sheet with upload counts and rates by region or unit, one with the failures
(record and the national system's error), from a vaxdw.reports.staff_upload report (duck-typed)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from exporters.statement import INTEGER, RATE, TEXT, Column, Statement, render_statement

TITLE = "业务人员上传统计表"
COLUMNS = [
    Column("region_code", "编码", TEXT),
    Column("region_name", "地区/单位"),
    Column("staff_total", "人员数", INTEGER),
    Column("uploaded", "上传成功", INTEGER, group=("上传情况（人）",)),
    Column("failed", "上传失败", INTEGER, group=("上传情况（人）",)),
    Column("in_flight", "待反馈", INTEGER, group=("上传情况（人）",)),
    Column("not_uploaded", "未上传", INTEGER, group=("上传情况（人）",)),
    Column("held_back", "其中：暂缓上传", INTEGER, group=("上传情况（人）",)),
    Column("upload_rate", "上传率", RATE),
    Column("failure_rate", "失败率", RATE),
    Column("items_sent", "上传次数", INTEGER),
    Column("items_rejected", "被拒次数", INTEGER),
]
FAILURE_COLUMNS = [
    Column("unit_id", "单位编码", TEXT),
    Column("unit_name", "单位"),
    Column("staff_id", "人员编号", TEXT),
    Column("staff_name", "姓名"),
    Column("staff_role", "岗位"),
    Column("version", "版本", INTEGER),
    Column("error_code", "错误代码", TEXT),
    Column("error_message", "错误信息"),
    Column("batch_id", "批次号", TEXT),
]
NOTES = (
    "注：1. 人员数为当前在岗（未删除）的业务人员；按每人最近一次上传的反馈统计。",
    "2. 上传率 = 上传成功 / 人员数；失败率 = 上传失败 / (上传成功 + 上传失败)。",
    "3. 暂缓上传：未通过阻断性质量规则，待更正后自动上传；上传失败的记录见“上传失败明细”。",
)


def write_staff_upload(report, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "业务人员上传"
    render_statement(sheet, Statement(
        title=TITLE, columns=COLUMNS, rows=report.rows.to_dict("records"), filters=report.filters,
        totals={"region_name": "", **report.totals}, label_columns=2, notes=NOTES, sheet_name="业务人员上传"))
    failures = workbook.create_sheet("上传失败明细")
    render_statement(failures, Statement(
        title="业务人员上传失败明细", columns=FAILURE_COLUMNS,
        rows=[{**row, "staff_id": str(row["staff_id"])} for row in report.failures.to_dict("records")],
        filters=report.filters, label_columns=2, sheet_name="上传失败明细"))
    workbook.save(path)
    return path
