"""In-province migrations (省内迁移): a child's record moved from one clinic to another (DOMAIN.md §8.8)."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="migration",
        title="省内迁移",
        description=(
            "One row per migration request (迁出申请) from the child's managing clinic (from_unit_id) to another "
            "clinic in Shaanxi (to_unit_id). State machine (DOMAIN.md §8.8): initiated → pending → accepted or "
            "rejected (decided_at), or withdrawn by the initiator while pending (withdrawn_at). An accepted move "
            "has matching ops.register_change rows: from-unit 迁出 (2) and to-unit 外地转来 (10) at decided_at."
        ),
        key="migration_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("migration_id", "bigint", "迁移编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("from_unit_id", "varchar(20)", "迁出单位编码", nullable=False),
            Column("to_unit_id", "varchar(20)", "迁入单位编码", nullable=False),
            Column("initiated_at", "timestamp", "发起时间", nullable=False),
            Column("initiator_id", "bigint", "发起人 (staff_id)"),
            Column("migration_status", "varchar(10)", "状态", code_table="migration_status", nullable=False),
            Column("decided_at", "timestamp", "接收/拒绝时间"),
            Column("withdrawn_at", "timestamp", "撤回时间"),
            Column("reason", "varchar(20)", "迁移原因", code_table="migration_reason"),
            Column("reject_reason", "varchar(100)", "拒绝原因"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
