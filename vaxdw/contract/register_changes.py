"""Register changes (在册情况变更): the history behind each child's current register status."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="register_change",
        title="在册情况变更",
        description=(
            "One row per change of a child's register status (like the chhe_* records of DOMAIN.md §2.3/§3.1): "
            "the first row of a child is written when the record is created (previous_status null); later rows "
            "follow moves between clinics (from-unit 1 → 2 迁出, to-unit → 10 外地转来 or 1 for a move within "
            "the county), school/kindergarten entry, death, temporary absence and deletion. previous_status of "
            "a row equals new_status of the child's row before it; the last row's new_status equals the "
            "recipient's current register_status. The status of a child as of a date T is new_status of its "
            "last row with changed_at before the end of T."
        ),
        key="change_id",
        indexes=("recipient_id",),
        # by recipient: 受种者个案 (rpt_recipient_case), a day's children of 乡镇出生队列接种率; by date: the
        # changes the evaluation date passed (macros/cohort_coverage.sql)
        current_indexes=(("recipient_id",), ("changed_at",)),
        columns=(
            Column("change_id", "bigint", "变更编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "变更单位编码 (chhe_depa_id)", nullable=False),
            Column("previous_status", "smallint", "变更前在册情况 (chhe_prehere; null = 建档)",
                   code_table="register_status"),
            Column("new_status", "smallint", "变更后在册情况 (chhe_here)", code_table="register_status",
                   nullable=False),
            Column("changed_at", "timestamp", "变更时间 (chhe_changedate)", nullable=False),
            Column("reason", "varchar(20)", "变更原因", code_table="register_change_reason", nullable=False),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
