"""受种者个案: one workbook per recipient — a 基本信息 sheet, then one statement sheet per history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from exporters.statement import TEXT, Column, Statement, check_sheet_name, render_statement

TITLE = "受种者个案"
EVENT_COLUMNS = [
    Column("event_at", "时间", "yyyy-mm-dd hh:mm:ss"),
    Column("unit_id", "单位编码", TEXT),
    Column("unit_name", "单位"),
    Column("item", "项目"),
    Column("detail", "详情"),
    Column("source_key", "记录编号", TEXT),
]


def write_recipient_case(case: Any, sections: dict[str, str], path: str | Path) -> Path:
    """``case``: vaxdw.reports.recipient_case.RecipientCase; ``sections``: section code → Chinese name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "基本信息"
    profile = Statement(
        title=f"{TITLE}：{case.profile.get('姓名', '')}",
        columns=[Column("field", "项目"), Column("value", "内容", TEXT)],
        rows=[{"field": label, "value": "" if value is None else str(value)} for label, value in case.profile.items()],
        sheet_name="基本信息",
        notes=[f"{sections[code]}：{len(case.sections[code])} 条" for code in sections],
    )
    render_statement(ws, profile)
    for code, name in sections.items():
        frame = case.sections[code]
        sheet = wb.create_sheet(check_sheet_name(name[:31]))
        render_statement(sheet, Statement(
            title=f"{TITLE}：{name}",
            columns=EVENT_COLUMNS,
            rows=frame.to_dict("records") if len(frame) else [],
            sheet_name=name,
            filters={"受种者编号": str(case.recipient_id), "姓名": str(case.profile.get("姓名", ""))},
            notes=[] if len(frame) else ["无记录"],
        ))
    wb.save(path)
    return path
