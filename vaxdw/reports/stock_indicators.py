"""库存指标统计表: the stock indicators of one month (rpt_stock_indicators; docs/reports/stock_indicators.md)
for a unit and every unit under it, one row per unit and vaccine.

Takes an optional access ``Grant`` like vaxdw.reports.stock: its filter is ANDed in, so a rabies-only account
gets rabies rows only.
"""

from __future__ import annotations

from datetime import date

from vaxdw.access.authorize import Grant
from vaxdw.db import PgParams
from vaxdw.reports.stock import _UNITS_CTE, StockReport, _frame, _scope, _unit_name

INDICATORS = "marts.rpt_stock_indicators"


def query_stock_indicators(params: PgParams, unit_id: str, month: date, grant: Grant | None = None,
                           include_subordinates: bool = True) -> StockReport:
    """Rows of ``month`` (any day of it) for ``unit_id`` (and its subordinate units), by unit and vaccine."""
    where, args = _scope(grant)
    sql = _UNITS_CTE + f"""
    select m.unit_id, m.unit_name, m.unit_type, m.vaccine_code, m.vaccine_name, m.month_start, m.month_end,
           m.is_vaccinating_unit, m.stockout_days, m.is_stockout, m.used_doses, m.issued_doses,
           m.scrapped_doses, m.scrapped_expired_doses, m.scrapped_other_doses, m.scrap_reasons,
           m.closed_vial_wastage_rate, m.closing_doses, m.issued_doses_window, m.stock_coverage_months,
           m.expiring_soon_doses, m.expired_doses, m.has_stock_count, m.count_date, m.counted_doses,
           m.book_doses_at_count, m.count_discrepancy_doses, m.count_discrepancy_abs_doses,
           m.count_discrepancy_batches
    from {INDICATORS} as m
    inner join units on m.unit_id = units.unit_id
    where m.month_start = date_trunc('month', %s::date)::date and {where}
    order by m.unit_id, m.vaccine_code
    """
    rows = _frame(params, sql, [unit_id, include_subordinates, month, *args])
    filters = {"单位": f"{_unit_name(params, unit_id)}{'及下级单位' if include_subordinates else ''}",
               "统计月份": f"{month:%Y年%m月}"}
    return StockReport("库存指标统计表", filters, rows)
