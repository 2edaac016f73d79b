"""Stock statements (Excel, printable): 下级库存统计表, 疫苗盘点数据表, 疫苗出入库登记表 / 出入库账簿.

Inputs are the report objects of vaxdw.reports.stock (duck-typed: ``title``, ``filters``, ``rows``).
All are A4 landscape with header rows repeated on every page (exporters.statement's print setup); the
register and the ledger carry signature lines (经办人 / 保管人 / 负责人) as the work norm's paper register does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporters.statement import DATE, INTEGER, TEXT, Column, Statement, sum_columns, write_statement

MONEY = "#,##0.00"

SUBORDINATE_COLUMNS = [
    Column("unit_id", "单位编码", TEXT), Column("unit_name", "单位名称", TEXT),
    Column("manufacturer_name", "生产企业", TEXT), Column("vaccine_name", "疫苗名称", TEXT),
    Column("spec_name", "规格", TEXT), Column("batch_no", "批号", TEXT), Column("expiry_date", "有效期至", DATE),
    Column("lot_release_no", "批签发编号", TEXT),
    Column("stock_quantity", "支/瓶", INTEGER, group=("库存数量",)),
    Column("stock_dose_quantity", "人份", INTEGER, group=("库存数量",)),
]

STOCKTAKE_COLUMNS = [
    Column("spec_name", "规格", TEXT), Column("vaccine_name", "疫苗名称", TEXT),
    Column("manufacturer_name", "生产企业", TEXT), Column("batch_no", "批号", TEXT),
    Column("expiry_date", "有效期至", DATE),
    Column("opening_quantity", "期初", INTEGER, group=("数量（支/瓶）",)),
    Column("in_quantity", "入库", INTEGER, group=("数量（支/瓶）",)),
    Column("out_quantity", "出库", INTEGER, group=("数量（支/瓶）",)),
    Column("closing_quantity", "期末结存", INTEGER, group=("数量（支/瓶）",)),
    Column("physical_count", "盘点数", INTEGER, group=("盘点核对",)),
    Column("count_difference", "盘点差异", INTEGER, group=("盘点核对",)),
    Column("use_dose_quantity", "使用出库(人份)", INTEGER, group=("接种核对",)),
    Column("doses_given", "接种剂次", INTEGER, group=("接种核对",)),
    Column("use_minus_given", "差异", INTEGER, group=("接种核对",)),
    Column("flags", "提示", TEXT),
]

REGISTER_COLUMNS = [
    Column("doc_date", "日期", DATE), Column("doc_type_name", "类型", TEXT), Column("vaccine_name", "疫苗名称", TEXT),
    Column("manufacturer_name", "生产企业", TEXT), Column("spec_name", "规格", TEXT), Column("batch_no", "批号", TEXT),
    Column("expiry_date", "有效期至", DATE), Column("lot_release_no", "批签发编号", TEXT),
    Column("in_quantity", "入库", INTEGER, group=("数量（支/瓶）",)),
    Column("out_quantity", "出库", INTEGER, group=("数量（支/瓶）",)),
    Column("dose_quantity", "人份", INTEGER),
    Column("counterparty_name", "对方单位", TEXT), Column("handler", "经办人", TEXT),
    Column("balance_after", "结存", INTEGER), Column("reason", "备注", TEXT),
]

SIGNATURES = {"经办人": "＿＿＿＿＿＿", "保管人": "＿＿＿＿＿＿", "负责人": "＿＿＿＿＿＿", "日期": "＿＿＿＿年＿＿月＿＿日"}


def _records(report: Any) -> list[dict]:
    return report.rows.to_dict("records")


def write_subordinate_stock(report: Any, path: str | Path) -> Path:
    rows = _records(report)
    return write_statement(Statement(
        title=report.title, columns=SUBORDINATE_COLUMNS, rows=rows, sheet_name="下级库存统计",
        filters=report.filters, totals=sum_columns(rows, ["stock_quantity", "stock_dose_quantity"]),
        label_columns=2,
        notes=("注：库存 = 统计日期及以前全部入库 − 出库（按单据日期），不含作废单据。",),
    ), path)


def write_stocktake(report: Any, path: str | Path, physical_counts: dict[str, int] | None = None) -> Path:
    """``physical_counts``: batch_id → counted 支/瓶; without it the 盘点数 column is left for the count sheet."""
    rows = _records(report)
    for row in rows:
        flags = []
        if row.get("is_expired") and row.get("closing_quantity"):
            flags.append("过期库存")
        if row.get("has_negative_balance"):
            flags.append("曾为负库存")
        if row.get("use_minus_given"):
            flags.append("出库与接种不符")
        row["flags"] = "、".join(flags)
        if physical_counts is not None and row["batch_id"] in physical_counts:
            row["physical_count"] = physical_counts[row["batch_id"]]
            row["count_difference"] = row["physical_count"] - row["closing_quantity"]
    totals = sum_columns(rows, ["opening_quantity", "in_quantity", "out_quantity", "closing_quantity",
                                "use_dose_quantity", "doses_given", "use_minus_given"])
    return write_statement(Statement(
        title=report.title, columns=STOCKTAKE_COLUMNS, rows=rows, sheet_name="疫苗盘点", filters=report.filters,
        totals=totals, label_columns=4, signatures={"盘点人": "＿＿＿＿＿＿", "复核人": "＿＿＿＿＿＿"},
        notes=("注：1. 期末结存 = 期初 + 入库 − 出库；盘点差异 = 盘点数 − 期末结存。",
               "2. 接种核对：使用出库（人份）与接种记录中同一单位、疫苗、生产企业、批号的剂次比较；"
               "多人份包装开启后的余量计入使用出库。"),
    ), path)


def write_register(report: Any, path: str | Path) -> Path:
    """疫苗出入库登记表 / 出入库账簿: one row per movement, balance after it, signature lines."""
    rows = _records(report)
    return write_statement(Statement(
        title=report.title, columns=REGISTER_COLUMNS, rows=rows, sheet_name=report.title[:31],
        filters=report.filters, totals=sum_columns(rows, ["in_quantity", "out_quantity"]), label_columns=1,
        signatures=SIGNATURES,
        notes=("注：结存为该批次在本单位的累计结存（支/瓶），按日期、先入后出排列。",),
    ), path)
