"""Statements of the exchange: 业务人员上传统计表 (by county, and by unit with failures) and
冷链温度监测统计表 (province-wide and one per unit with a monitored device)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from exporters.coldchain import write_coldchain
from exporters.staff_upload import write_staff_upload
from vaxdw.db import PgParams, connect
from vaxdw.reports.staff_upload import query_staff_upload

COLDCHAIN_NOTES = (
    "注：1. 温度范围取设备自身设置，未设置的冷藏设备按 2～8℃、冷冻设备按 -25～-15℃。",
    "2. 超标：连续超出范围的读数为一次，持续时间达到告警阈值（默认30分钟）的计为超标告警。",
    "3. 中断：相邻两次上报间隔超过应报间隔的3倍；停报：统计时点前60分钟内无上报；迟报：上报时间晚于采集时间60分钟以上。",
)


def coldchain_devices(warehouse: PgParams, unit_id: str | None = None) -> pd.DataFrame:
    with connect(warehouse) as conn:
        if not conn.execute("select to_regclass('marts.rpt_coldchain_devices') is not null").fetchone()[0]:
            return pd.DataFrame()
        cur = conn.execute("select * from marts.rpt_coldchain_devices where %(unit)s::text is null or unit_id = %(unit)s "
                           "order by city_code, county_code, unit_id, device_id", {"unit": unit_id})
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    files = []
    with connect(warehouse) as conn:
        has_staff = conn.execute("select to_regclass('staging.stg_ops__staff') is not null").fetchone()[0]
    if has_staff:
        for level in ("county", "unit"):
            report = query_staff_upload(warehouse, level=level)
            path = write_staff_upload(report, out_dir / f"业务人员上传统计表_{level}.xlsx")
            files.append({"path": str(path), "report": "业务人员上传统计表", "rows": len(report.rows),
                          "uploaded": report.totals["uploaded"], "failed": report.totals["failed"]})
    devices = coldchain_devices(warehouse)
    if not devices.empty:
        path = write_coldchain(devices, {"范围": "全省"}, COLDCHAIN_NOTES, out_dir / "冷链温度监测统计表_全省.xlsx")
        files.append({"path": str(path), "report": "冷链温度监测统计表", "rows": len(devices)})
        unit_dir = out_dir / "冷链温度监测统计表_按单位"
        for unit_id, group in devices.groupby("unit_id", sort=True):
            name = group["unit_name"].iloc[0] or unit_id
            path = write_coldchain(group, {"单位": f"{name}（{unit_id}）"}, COLDCHAIN_NOTES,
                                   unit_dir / f"冷链温度监测统计表_{unit_id}.xlsx")
        files.append({"path": str(unit_dir), "report": "冷链温度监测统计表（按单位）",
                      "rows": int(devices["unit_id"].nunique())})
    return files
