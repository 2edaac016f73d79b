"""The monthly operations report (运维月报)."""

from vaxdw.opsreport.monthly import MonthlyOps, collect_month, write_monthly

__all__ = ["MonthlyOps", "collect_month", "write_monthly"]
