"""The weekly inspection (巡检): hosts, database growth and bloat, backups, failed runs, capacity."""

from vaxdw.inspection.run import Thresholds, run_inspection

__all__ = ["Thresholds", "run_inspection"]
