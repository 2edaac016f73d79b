"""Default statements of a pipeline run for the coverage family of reports (issue 3 part A).

For the run's period ``[date_from, date_to]``:
- 实种及时统计表 by county (vaccination dates in the period);
- 实种情况统计表, 剂次视图 and 生产企业视图, by city;
- IPV补种剂次统计表 by city (all campaigns);
- 乡镇出生队列接种率 by county: the cohort born in the year before ``date_to``'s year, evaluated at ``date_to``;
- 接种率监测 by city for the months of the period, with dropout rates.
个案随机抽查 is drawn on demand (``vaxdw export case-sample``), not by the pipeline.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.cohort_coverage import write_cohort_coverage
from exporters.coverage_monitoring import write_coverage_monitoring
from exporters.entry_timeliness import write_entry_timeliness
from exporters.ipv_catchup import write_ipv_catchup
from exporters.shizhong import write_shizhong
from vaxdw.db import PgParams
from vaxdw.reports.cohort_coverage import query_cohort_coverage
from vaxdw.reports.coverage_monitoring import dropout_totals, query_coverage_monitoring
from vaxdw.reports.entry_timeliness import query_entry_timeliness
from vaxdw.reports.ipv_catchup import query_ipv_catchup
from vaxdw.reports.shizhong import query_shizhong


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    period = f"{date_from:%Y%m%d}_{date_to:%Y%m%d}"
    files: list[dict] = []

    timeliness = query_entry_timeliness(warehouse, "county", vaccination_from=date_from, vaccination_to=date_to)
    path = write_entry_timeliness(timeliness, out_dir / f"实种及时统计表_county_{period}.xlsx")
    files.append({"path": str(path), "report": "实种及时统计表", "level": "county", "rows": len(timeliness.rows),
                  "counted": timeliness.totals["counted"], "entry_timely": timeliness.totals["entry_timely"]})

    for view, label in (("dose", "剂次视图"), ("manufacturer", "生产企业视图")):
        report = query_shizhong(warehouse, level="city", region_code=None, date_from=date_from, date_to=date_to,
                                view=view)
        path = write_shizhong(report, out_dir / f"实种情况统计表_{view}_city_{period}.xlsx")
        files.append({"path": str(path), "report": f"实种情况统计表（{label}）", "level": "city",
                      "rows": len(report.rows), "total_doses": int(report.total_doses)})

    ipv = query_ipv_catchup(warehouse, "city")
    path = write_ipv_catchup(ipv, out_dir / "IPV补种剂次统计表_city.xlsx")
    files.append({"path": str(path), "report": "IPV补种剂次统计表", "level": "city", "rows": len(ipv.rows),
                  "eligible": ipv.totals["eligible"], "completed": ipv.totals["completed"]})

    cohort_year = date_to.year - 1
    cohort = query_cohort_coverage(warehouse, date(cohort_year, 1, 1), date(cohort_year, 12, 31), date_to,
                                   level="county")
    path = write_cohort_coverage(cohort, out_dir / f"乡镇出生队列接种率_county_{cohort_year}_T{date_to:%Y%m%d}.xlsx")
    files.append({"path": str(path), "report": "乡镇出生队列接种率", "level": "county", "rows": len(cohort.regions),
                  "children": cohort.total_children})

    monitoring = query_coverage_monitoring(warehouse, "city", date_from, date_to)
    path = write_coverage_monitoring(monitoring, out_dir / f"接种率监测_city_{period}.xlsx", dropout_totals(monitoring))
    files.append({"path": str(path), "report": "接种率监测", "level": "city", "rows": len(monitoring.rows),
                  "due": int(monitoring.totals["due"].sum()), "given": int(monitoring.totals["given"].sum())})
    return files
