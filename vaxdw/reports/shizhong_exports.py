"""Default 实种情况统计表 statements of a pipeline run: by city and by county for the period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.shizhong import write_shizhong
from vaxdw.db import PgParams
from vaxdw.reports.shizhong import query_shizhong

LEVELS = ("city", "county")


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    files = []
    for level in LEVELS:
        report = query_shizhong(warehouse, level=level, region_code=None, date_from=date_from, date_to=date_to)
        path = out_dir / f"实种情况统计表_{level}_{date_from:%Y%m%d}_{date_to:%Y%m%d}.xlsx"
        write_shizhong(report, path)
        files.append({"path": str(path), "report": "实种情况统计表", "level": level, "rows": len(report.rows),
                      "total_doses": int(report.total_doses), "total_persons": int(report.total_persons)})
    return files
