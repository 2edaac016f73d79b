"""库存指标统计表 (Excel, printable): stockouts, closed-vial wastage, stock coverage, expiring-soon stock and
stocktake discrepancies per unit and vaccine for one month (input: vaxdw.reports.stock_indicators)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.statement import DATE, INTEGER, RATE, TEXT, Column, Statement, sum_columns, write_statement

DECIMAL = "0.00"

COLUMNS = [
    Column("unit_id", "单位编码", TEXT), Column("unit_name", "单位名称", TEXT),
    Column("vaccine_name", "疫苗名称", TEXT),
    Column("stockout_days", "缺货天数", INTEGER, group=("缺货",)),
    Column("stockout_flag", "是否缺货", TEXT, group=("缺货",)),
    Column("issued_doses", "发出(人份)", INTEGER, group=("未开启损耗",)),
    Column("scrapped_doses", "报损(人份)", INTEGER, group=("未开启损耗",)),
    Column("closed_vial_wastage_rate", "损耗率", RATE, group=("未开启损耗",)),
    Column("scrap_reasons", "报损原因", TEXT, group=("未开启损耗",)),
    Column("closing_doses", "期末库存(人份)", INTEGER, group=("库存可供时间",)),
    Column("stock_coverage_months", "可供月数", DECIMAL, group=("库存可供时间",)),
    Column("expiring_soon_doses", "近效期(人份)", INTEGER, group=("效期",)),
    Column("expired_doses", "已过期(人份)", INTEGER, group=("效期",)),
    Column("count_date", "盘点日期", DATE, group=("盘点差异",)),
    Column("book_doses_at_count", "账面(人份)", INTEGER, group=("盘点差异",)),
    Column("counted_doses", "实盘(人份)", INTEGER, group=("盘点差异",)),
    Column("count_discrepancy_doses", "差异(人份)", INTEGER, group=("盘点差异",)),
]

SUMMED = ["issued_doses", "scrapped_doses", "closing_doses", "expiring_soon_doses", "expired_doses",
          "book_doses_at_count", "counted_doses", "count_discrepancy_doses"]


def write_stock_indicators(report: Any, path: str | Path) -> Path:
    rows = report.rows.to_dict("records")
    for row in rows:
        flag = row.get("is_stockout")
        row["stockout_flag"] = "" if flag is None or flag != flag else ("是" if flag else "否")
    totals = sum_columns(rows, SUMMED)
    denominator = totals["issued_doses"] + totals["scrapped_doses"]
    totals["closed_vial_wastage_rate"] = totals["scrapped_doses"] / denominator if denominator else None
    totals["stockout_days"] = sum(1 for row in rows if row["stockout_flag"] == "是")
    totals["stockout_flag"] = "缺货单位数"
    return write_statement(Statement(
        title=report.title, columns=COLUMNS, rows=rows, sheet_name="库存指标", filters=report.filters,
        totals=totals, label_columns=3,
        notes=(
            "注：1. 数量均为人份。缺货天数：本月（当月至评价日）日终库存 ≤ 0 的天数，仅统计近3个月有接种使用的单位；"
            "合计行“缺货天数”为缺货的单位×疫苗数。",
            "2. 未开启损耗率 = 报损 ÷（发出 + 报损），发出 = 接种使用 + 调拨出库。",
            "3. 可供月数 = 期末库存 ÷ 近3个月月均发出量；近效期：有效期在月末起规定天数内（默认60天）。",
            "4. 盘点差异 = 实盘数 − 盘点日账面结存；本月未盘点的单位为空。",
        ),
    ), path)
