"""Operation log (操作日志): who edited or deleted which record of a child, and when."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="operation_log",
        title="操作日志",
        description=(
            "One row per edit (update) or deletion of a recipient or vaccination record, written by the "
            "operational system. Append-only: updated_at equals operated_at."
        ),
        key="log_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("log_id", "bigint", "日志编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "操作单位编码"),
            Column("operator_id", "bigint", "操作人 (staff_id)"),
            Column("operated_at", "timestamp", "操作时间", nullable=False),
            Column("table_name", "varchar(30)", "被操作表", nullable=False),
            Column("row_key", "varchar(30)", "被操作记录主键", nullable=False),
            Column("operation", "varchar(10)", "操作: update 修改, delete 删除", code_table="operation", nullable=False),
            Column("changed_columns", "varchar(200)", "修改的字段"),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
