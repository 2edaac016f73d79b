"""Default stock statements of a pipeline run, for the provincial CDC (省疾控), kept small at demo scale.

- 下级库存统计表 on the period's last day: the province CDC and the city CDCs under it (``CDC_UNIT_TYPES``);
  county CDCs' and vaccinating units' stock is in each city's / county's statement on request
  (``vaxdw.reports.stock_exports.export_stock``), so the default file stays a few hundred rows.
- 疫苗盘点数据表 of the province CDC over the period.
- 出入库账簿 of the province CDC (its own movements only, not every clinic's) for the last calendar month of
  the period (the month's ledger that is printed and signed).
- 采购合同履约情况表 of the contract years of the period.
- 冷链设备档案表 of the province CDC's own equipment.
- 疫苗价格表: price history, fee configuration, and the province CDC's non-NIP fee lines of the last month.

The pipeline is not a user of the access model: it writes unrestricted (province-wide) statements and
records each file in ``audit.export_log`` under the user name ``PIPELINE_USER``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exporters.stock import write_subordinate_stock
from vaxdw.access import log_export
from vaxdw.db import PgParams
from vaxdw.reports.stock import query_subordinate_stock
from vaxdw.reports.stock_exports import REPORTS, write_report

PROVINCE_CDC_UNIT_ID = "6100000001"  # dbt var province_cdc_unit_id
PIPELINE_USER = "vaxdw_pipeline"
CDC_UNIT_TYPES = ("prov_cdc", "city_cdc")


def _subordinate_cdc_stock(warehouse: PgParams, unit_id: str, as_of: date, path: Path) -> int:
    report = query_subordinate_stock(warehouse, unit_id, as_of, unit_types=CDC_UNIT_TYPES)
    report.filters = {**report.filters, "单位": report.filters["单位"].replace("及下级单位", "及下级市级疾控中心")}
    write_subordinate_stock(report, path)
    return len(report.rows)


def default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date,
                    unit_id: str = PROVINCE_CDC_UNIT_ID) -> list[dict]:
    month_from = max(date_to.replace(day=1), date_from)
    plan = [
        ("subordinate_stock", None, date_to, f"_{date_to:%Y%m%d}"),
        ("stocktake", date_from, date_to, f"_{date_from:%Y%m%d}_{date_to:%Y%m%d}"),
        ("ledger", month_from, date_to, f"_{month_from:%Y%m%d}_{date_to:%Y%m%d}"),
        ("contract_fulfilment", date_from, date_to, f"_{date_from:%Y}_{date_to:%Y}"),
        ("equipment", None, None, ""),
        ("prices", month_from, date_to, f"_{date_to:%Y%m%d}"),
    ]
    files = []
    for report, start, end, suffix in plan:
        title, action = REPORTS[report]
        path = out_dir / f"{title}_{unit_id}{suffix}.xlsx"
        if report == "subordinate_stock":
            rows = _subordinate_cdc_stock(warehouse, unit_id, end, path)
        else:
            rows = write_report(warehouse, report, path, unit_id, start, end, None)
        log_export(warehouse, PIPELINE_USER, title, action, {"unit_id": unit_id, "date_from": start, "date_to": end},
                   rows, True, "流水线默认导出（省疾控，不限范围）")
        files.append({"path": str(path), "report": title, "unit_id": unit_id, "rows": rows})
    return files
