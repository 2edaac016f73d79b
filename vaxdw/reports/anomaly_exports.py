"""Default 异常数据报表 files of a pipeline run: summary by county and the full detail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.anomalies import write_anomaly_detail, write_anomaly_summary
from vaxdw.db import PgParams
from vaxdw.quality.anomalies import detail_filters, query_anomaly_detail, query_anomaly_summary


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    del date_from, date_to  # anomalies are the current state, not a period
    report = query_anomaly_summary(warehouse, level="county")
    summary = out_dir / "异常数据汇总表_county.xlsx"
    write_anomaly_summary(report, summary)
    detail = query_anomaly_detail(warehouse)
    detail_path = out_dir / "异常数据明细.xlsx"
    write_anomaly_detail(detail, detail_path, detail_filters(warehouse))
    return [
        {"path": str(summary), "report": "异常数据汇总表", "level": "county", "rows": len(report.rows),
         "records": report.total},
        {"path": str(detail_path), "report": "异常数据明细", "rows": len(detail)},
    ]
