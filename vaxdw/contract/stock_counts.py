"""Stocktake physical counts (盘点实盘数): what a unit counted on its shelves for each batch on a count day.

The book balance (账面数) is not part of the record: the warehouse computes it from the stock documents
(fct_stock_movements) as of the count date, so 盘点差异 = counted − book is an independent check of the ledger.
"""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="stock_count",
        title="库存盘点实盘数",
        description=(
            "One row per unit, batch and count date: the quantity physically counted (支/瓶) at the end of the "
            "count day (after that day's movements). CDCs count at every month end, vaccinating units at every "
            "quarter end. A batch the unit did not find on the shelf has no row: on a count date of the unit a "
            "missing batch counts as 0."
        ),
        key="count_id",
        indexes=("unit_id",),
        columns=(
            Column("count_id", "bigint", "盘点记录编号", nullable=False),
            Column("unit_id", "varchar(20)", "盘点单位编码", nullable=False),
            Column("batch_id", "varchar(40)", "批次编码 (品规编码:批号)", nullable=False),
            Column("count_date", "date", "盘点日期", nullable=False),
            Column("counted_quantity", "integer", "实盘数量 (支/瓶)", nullable=False),
            Column("counted_by", "varchar(30)", "盘点人"),
            Column("remarks", "varchar(100)", "备注"),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
