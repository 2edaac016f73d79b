"""Default 产科 statements of a pipeline run: by city for births in the period (summary only; the
未种原因 detail needs an authorised user and is exported through ``vaxdw report obstetric-reasons``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.obstetric import write_hbsag_newborn, write_unvaccinated
from vaxdw.db import PgParams
from vaxdw.reports.hbsag_newborn import query_hbsag_newborn
from vaxdw.reports.obstetric_unvaccinated import REASONS, query_unvaccinated

LEVEL = "city"


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    period = f"{LEVEL}_{date_from:%Y%m%d}_{date_to:%Y%m%d}"
    report = query_hbsag_newborn(warehouse, LEVEL, None, date_from, date_to)
    files = [{"path": str(write_hbsag_newborn(report, out_dir / f"产科HBsAg阳性母亲所生儿童乙肝接种率_{period}.xlsx")),
              "report": "产科HBsAg阳性母亲所生儿童乙肝接种率", "level": LEVEL, "rows": len(report.rows),
              "cohort": report.totals["cohort_size"]}]
    reasons = query_unvaccinated(warehouse, LEVEL, None, date_from, date_to)
    files.append({"path": str(write_unvaccinated(reasons, REASONS, out_dir / f"产科未种原因_{period}.xlsx")),
                  "report": "产科未种原因", "level": LEVEL, "rows": len(reasons.rows), "missed": reasons.totals["total"]})
    return files
