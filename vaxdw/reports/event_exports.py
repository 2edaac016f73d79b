"""Default statements of the event reports for a pipeline run: by city for the period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.migration_out import write_migration_out
from exporters.observation import write_observation
from exporters.service_evaluation import write_service_evaluation
from exporters.signoff import write_signoff
from vaxdw.db import PgParams
from vaxdw.reports.migration_out import query_migration_out
from vaxdw.reports.observation import query_observation
from vaxdw.reports.service_evaluation import query_service_evaluation
from vaxdw.reports.signoff import query_signoff

LEVEL = "city"


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    period = f"{LEVEL}_{date_from:%Y%m%d}_{date_to:%Y%m%d}"
    files = []
    migration = query_migration_out(warehouse, LEVEL, None, date_from, date_to)
    path = write_migration_out(migration, out_dir / f"省内迁出报表_{period}.xlsx")
    files.append({"path": str(path), "report": "省内迁出报表", "level": LEVEL, "rows": len(migration.rows),
                  "initiated": migration.totals["initiated"]})
    observed = query_observation(warehouse, LEVEL, None, date_from, date_to)
    path = write_observation(observed, out_dir / f"留观率统计表_{period}.xlsx")
    files.append({"path": str(path), "report": "留观率统计表", "level": LEVEL, "rows": len(observed.rows),
                  "visits": observed.totals["visits"]})
    signed = query_signoff(warehouse, LEVEL, None, date_from, date_to)
    path = write_signoff(signed, out_dir / f"签核率统计_{period}.xlsx")
    files.append({"path": str(path), "report": "签核率统计", "level": LEVEL, "rows": len(signed.registration),
                  "doses": signed.totals["doses"]})
    rated = query_service_evaluation(warehouse, LEVEL, None, date_from, date_to)
    path = write_service_evaluation(rated, out_dir / f"门诊服务评价统计_{period}.xlsx")
    files.append({"path": str(path), "report": "门诊服务评价统计", "level": LEVEL, "rows": len(rated.rows),
                  "evaluations": rated.totals["evaluations"]})
    return files
