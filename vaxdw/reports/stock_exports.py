"""Restricted stock exports: authorise through the access model, query within the grant, write, audit.

``export_stock(warehouse, user, report, out_path, **params)``: ``report`` is one of ``REPORTS``. The
user's region/vaccine scope narrows the rows (a rabies-only account gets only rabies rows); asking for a
region or vaccine outside the scope is refused with a Chinese message. Either way one row goes to
``audit.export_log``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.stock import write_register, write_stocktake, write_subordinate_stock
from exporters.stock_indicators import write_stock_indicators
from exporters.trace_statements import write_contract_fulfilment, write_equipment, write_prices
from vaxdw import clock
from vaxdw.access import ExportScope, audited_export
from vaxdw.access.authorize import Grant
from vaxdw.db import PgParams
from vaxdw.reports.stock import query_ledger, query_physical_counts, query_stocktake, query_subordinate_stock
from vaxdw.reports.stock_indicators import query_stock_indicators
from vaxdw.reports.trace_statements import (
    query_contract_fulfilment,
    query_equipment,
    query_fee_config,
    query_fee_lines,
    query_prices,
)

REPORTS = {
    "subordinate_stock": ("下级库存统计表", "export_summary"),
    "stocktake": ("疫苗盘点数据表", "export_summary"),
    "register": ("疫苗出入库登记表", "export_detail"),
    "ledger": ("出入库账簿", "export_detail"),
    "indicators": ("库存指标统计表", "export_summary"),  # the month of date_to (else date_from)
    "contract_fulfilment": ("采购合同履约情况表", "export_summary"),
    "equipment": ("冷链设备档案表", "export_summary"),
    "prices": ("疫苗价格表", "export_summary"),
}


def export_stock(warehouse: PgParams, user: str, report: str, out_path: Path, unit_id: str,
                 date_from: date | None = None, date_to: date | None = None,
                 vaccine_codes: list[str] | None = None, include_subordinates: bool = False) -> int:
    """``include_subordinates`` applies to the equipment archive (下级库存统计 always includes them);
    采购合同履约 takes the contract years of ``[date_from, date_to]``; 疫苗价格 lists every price and the fee
    configuration, with the unit's non-NIP outbound fee lines of the period."""
    title, action = REPORTS[report]
    scope = ExportScope.of(regions=None, vaccines=vaccine_codes)

    def run(grant: Grant) -> int:
        return write_report(warehouse, report, out_path, unit_id, date_from, date_to, grant, include_subordinates)

    return audited_export(warehouse, user, title, action, scope, run,
                          extra_filters={"unit_id": unit_id, "date_from": date_from, "date_to": date_to,
                                         **({"include_subordinates": True} if include_subordinates else {})})


def write_report(warehouse: PgParams, report: str, out_path: Path, unit_id: str, date_from: date | None,
                 date_to: date | None, grant: Grant | None, include_subordinates: bool = False) -> int:
    """Query ``report`` within ``grant`` (None = unrestricted) and write it; returns the row count."""
    title, _ = REPORTS[report]
    if report == "subordinate_stock":
        result = query_subordinate_stock(warehouse, unit_id, date_to or clock.today(), grant)
        write_subordinate_stock(result, out_path)
    elif report == "indicators":
        result = query_stock_indicators(warehouse, unit_id, date_to or date_from or clock.today(), grant)
        write_stock_indicators(result, out_path)
    elif report == "stocktake":
        result = query_stocktake(warehouse, unit_id, date_from, date_to, grant)
        counts = query_physical_counts(warehouse, unit_id, date_to, grant)  # the count on the period's end
        physical = None if counts is None else {bid: counts.get(bid, 0) for bid in result.rows["batch_id"]}
        write_stocktake(result, out_path, physical)
    elif report in ("register", "ledger"):
        result = query_ledger(warehouse, unit_id, date_from, date_to, grant, title=title)
        write_register(result, out_path)
    elif report == "contract_fulfilment":
        result = query_contract_fulfilment(warehouse, date_from and date_from.year, date_to and date_to.year,
                                           grant)
        write_contract_fulfilment(result, out_path)
    elif report == "equipment":
        result = query_equipment(warehouse, unit_id, include_subordinates, grant)
        write_equipment(result, out_path)
    else:
        result = query_prices(warehouse, grant)
        fee_lines = query_fee_lines(warehouse, unit_id, date_from, date_to, grant)
        write_prices(result, query_fee_config(warehouse), fee_lines, out_path)
    return len(result.rows)
