"""冷链温度监测统计表: one row per monitoring device, grouped by unit, from marts.rpt_coldchain_devices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from exporters.statement import INTEGER, TEXT, Column, Statement, write_statement

TITLE = "冷链温度监测统计表"
COLUMNS = [
    Column("unit_name", "单位"),
    Column("device_id", "设备编号", TEXT),
    Column("device_name", "设备"),
    Column("vendor", "监测厂商", TEXT),
    Column("range_text", "温度范围(℃)", TEXT),
    Column("readings", "上报条数", INTEGER),
    Column("lowest_c", "最低", "0.0", group=("温度(℃)",)),
    Column("highest_c", "最高", "0.0", group=("温度(℃)",)),
    Column("alert_excursions", "超标次数", INTEGER, group=("超标告警",)),
    Column("alert_minutes", "超标分钟", INTEGER, group=("超标告警",)),
    Column("gaps", "中断次数", INTEGER),
    Column("late_uploads", "迟报条数", INTEGER),
    Column("stopped_text", "停报", TEXT),
]


def write_coldchain(devices: pd.DataFrame, filters: dict[str, str], notes: tuple[str, ...], path: str | Path) -> Path:
    rows = []
    for row in devices.to_dict("records"):
        rows.append({**row, "range_text": f"{row['min_c']}～{row['max_c']}",
                     "stopped_text": "是" if row["is_stopped"] else "",
                     "alert_minutes": round(float(row["alert_minutes"] or 0))})
    totals = {"unit_name": "", "readings": int(devices["readings"].sum()),
              "alert_excursions": int(devices["alert_excursions"].sum()),
              "alert_minutes": round(float(devices["alert_minutes"].sum())),
              "gaps": int(devices["gaps"].sum()), "late_uploads": int(devices["late_uploads"].sum()),
              "stopped_text": f"{int(devices['is_stopped'].sum())} 台"}
    return write_statement(Statement(title=TITLE, columns=COLUMNS, rows=rows, filters=filters, totals=totals,
                                     label_columns=2, notes=notes, sheet_name="冷链温度监测"), path)
