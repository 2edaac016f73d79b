"""Traceability statements (Excel, printable): 采购合同履约情况表 (35), 冷链设备档案表 (39), 疫苗价格表 (40).

Inputs are report objects of vaxdw.reports.trace_statements (``title``, ``filters``, ``rows``). All are A4
landscape with the header rows repeated on every page and the print area set (exporters.statement); the
equipment archive carries the signature line (填表人 / 负责人 / 日期) of the paper archive. The price
workbook has three sheets: 价格历史, 储运费配置, 储运费明细.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from exporters.statement import (
    DATE,
    INTEGER,
    RATE,
    TEXT,
    Column,
    Statement,
    check_sheet_name,
    render_statement,
    sum_columns,
    write_statement,
)
from exporters.stock import MONEY

CONTRACT_COLUMNS = [
    Column("contract_no", "合同号", TEXT), Column("contract_year", "合同年度", "0"),
    Column("vaccine_name", "疫苗名称", TEXT), Column("manufacturer_name", "生产企业", TEXT),
    Column("spec_name", "规格", TEXT), Column("unit_name", "采购单位", TEXT),
    Column("contracted_quantity", "合同数量", INTEGER, group=("数量（支/瓶）",)),
    Column("delivered_quantity", "已到货", INTEGER, group=("数量（支/瓶）",)),
    Column("outstanding_quantity", "未到货", INTEGER, group=("数量（支/瓶）",)),
    Column("fulfilment_rate", "履约率", RATE), Column("deliveries", "到货批次", INTEGER),
    Column("last_delivery_date", "最近到货日期", DATE), Column("signed_date", "签订日期", DATE),
    Column("due_date", "交货截止日期", DATE), Column("status", "履约状态", TEXT),
]

EQUIPMENT_COLUMNS = [
    Column("equipment_id", "设备编码", TEXT), Column("unit_name", "所属单位", TEXT),
    Column("equipment_type", "设备类型", TEXT), Column("brand", "品牌", TEXT), Column("model", "型号", TEXT),
    Column("volume_l", "容积（升）", INTEGER), Column("purchase_date", "购置日期", DATE),
    Column("funding_source", "经费来源", TEXT), Column("in_use_date", "启用日期", DATE),
    Column("location", "放置地点", TEXT), Column("status", "使用状态", TEXT),
    Column("scrapped_date", "报废日期", DATE), Column("maintenance_notes", "维修保养记录", TEXT, width=30),
    Column("probe_id", "温度探头编号", TEXT),
]

PRICE_COLUMNS = [
    Column("vaccine_name", "疫苗名称", TEXT), Column("manufacturer_name", "生产企业", TEXT),
    Column("spec_name", "规格", TEXT), Column("nip_label", "类别", TEXT),
    Column("unit_price", "单价（元/支或瓶）", MONEY), Column("effective_from", "生效日期", DATE),
    Column("effective_to", "失效日期", DATE), Column("price_status", "状态", TEXT),
]

FEE_CONFIG_COLUMNS = [
    Column("unit_level_name", "出库单位级别", TEXT), Column("fee_type_name", "费用类型", TEXT),
    Column("fee_per_dose", "每人份（元）", MONEY), Column("effective_from", "生效日期", DATE),
    Column("effective_to", "失效日期", DATE),
]

FEE_LINE_COLUMNS = [
    Column("doc_date", "出库日期", DATE), Column("doc_no", "单据号", TEXT), Column("counterparty_name", "收货单位", TEXT),
    Column("vaccine_name", "疫苗名称", TEXT), Column("manufacturer_name", "生产企业", TEXT),
    Column("spec_name", "规格", TEXT), Column("batch_no", "批号", TEXT),
    Column("quantity", "支/瓶", INTEGER, group=("数量",)), Column("dose_quantity", "人份", INTEGER, group=("数量",)),
    Column("unit_price", "单价", MONEY, group=("金额（元）",)), Column("amount", "货款", MONEY, group=("金额（元）",)),
    Column("storage_fee", "储存费", MONEY, group=("金额（元）",)),
    Column("shipping_fee", "运输费", MONEY, group=("金额（元）",)),
    Column("fee_total", "储运费合计", MONEY, group=("金额（元）",)),
]

ARCHIVE_SIGNATURES = {"填表人": "＿＿＿＿＿＿", "审核人": "＿＿＿＿＿＿", "负责人": "＿＿＿＿＿＿",
                      "日期": "＿＿＿＿年＿＿月＿＿日"}


def _records(report: Any) -> list[dict]:
    return report.rows.to_dict("records")


def write_contract_fulfilment(report: Any, path: str | Path) -> Path:
    rows = _records(report)
    totals = sum_columns(rows, ["contracted_quantity", "delivered_quantity", "outstanding_quantity", "deliveries"])
    # the rate of the total is delivered / contracted over all contracts (contracts of different specs
    # add up in 支/瓶 only as a workload measure)
    totals["fulfilment_rate"] = (totals["delivered_quantity"] / totals["contracted_quantity"]
                                 if totals["contracted_quantity"] else None)
    return write_statement(Statement(
        title=report.title, columns=CONTRACT_COLUMNS, rows=rows, sheet_name="采购合同履约", filters=report.filters,
        totals=totals, label_columns=2, signatures={"制表人": "＿＿＿＿＿＿", "审核人": "＿＿＿＿＿＿"},
        notes=("注：1. 未到货 = 合同数量 − 已到货（不小于0）；履约率 = 已到货 ÷ 合同数量。",
               "2. 履约状态：已到货不少于合同数量为“已履约”；超过交货截止日期仍未到齐为“逾期未完成”；"
               "尚无到货为“未到货”；其余为“履约中”。"),
    ), path)


def write_equipment(report: Any, path: str | Path) -> Path:
    """冷链设备档案表: printable archive, one row per device, signature line."""
    rows = _records(report)
    totals = {"volume_l": sum(int(r["volume_l"]) for r in rows
                              if r.get("status") == "在用" and pd.notna(r.get("volume_l")))}
    return write_statement(Statement(
        title=report.title, columns=EQUIPMENT_COLUMNS, rows=rows, sheet_name="冷链设备档案", filters=report.filters,
        totals=totals, totals_label=f"在用设备容积合计（共 {len(rows)} 台）", label_columns=3,
        signatures=ARCHIVE_SIGNATURES,
        notes=("注：栏目依《预防接种工作规范（2023年版）》冷链设备档案的建议栏目（附表栏目未核实，见 DOMAIN.md §4）；"
               "合计容积只计使用状态为“在用”的设备。",),
    ), path)


def write_prices(prices: Any, fee_config: Any, fee_lines: Any, path: str | Path) -> Path:
    """疫苗价格表: 价格历史, 储运费配置 and 储运费明细 sheets in one workbook."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fee_rows = _records(fee_lines)
    statements = [
        Statement(title=prices.title, columns=PRICE_COLUMNS, rows=_records(prices), sheet_name="价格历史",
                  filters=prices.filters, label_columns=3,
                  notes=("注：单价按生效日期至失效日期（含）适用；失效日期为空者为现行价格。出入库金额按单据日期适用的价格计算。",)),
        Statement(title=fee_config.title, columns=FEE_CONFIG_COLUMNS, rows=_records(fee_config),
                  sheet_name="储运费配置", filters=fee_config.filters, label_columns=2,
                  notes=("注：非免疫规划疫苗调拨出库单按出库单位级别收取储存费和运输费，金额 = 人份数 × 每人份费用。",)),
        Statement(title=fee_lines.title, columns=FEE_LINE_COLUMNS, rows=fee_rows, sheet_name="储运费明细",
                  filters=fee_lines.filters, label_columns=3,
                  totals=sum_columns(fee_rows, ["quantity", "dose_quantity", "amount", "storage_fee", "shipping_fee",
                                                "fee_total"]),
                  signatures={"制表人": "＿＿＿＿＿＿", "审核人": "＿＿＿＿＿＿"}),
    ]
    wb = Workbook()
    wb.remove(wb.active)
    for statement in statements:
        render_statement(wb.create_sheet(check_sheet_name(statement.sheet_name)), statement)
    wb.save(path)
    return path
