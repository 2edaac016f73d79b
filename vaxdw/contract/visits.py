"""Clinic visits (一次接种就诊 = recipient × unit × vaccination date): registration with its e-signature,
per-dose vaccination sign-off, post-vaccination observation (留观) and service evaluation (服务评价)."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="visit_registration",
        title="接种登记",
        description=(
            "One row per registration (预检登记) of a visit: when the child was registered and when the "
            "guardian (or the recipient) signed informed consent on the signature pad (signed_at, null when "
            "not signed). DOMAIN.md §8.4 registration sign-off."
        ),
        key="registration_id",
        indexes=("recipient_id",),
        current_indexes=(("visit_date", "unit_id"),),
        columns=(
            Column("registration_id", "bigint", "登记编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "接种单位编码", nullable=False),
            Column("visit_date", "date", "就诊日期", nullable=False),
            Column("registered_at", "timestamp", "登记时间", nullable=False),
            Column("registrar_id", "bigint", "登记人员 (staff_id)"),
            Column("signed_at", "timestamp", "知情同意签字时间 (null = 未签)"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
    Table(
        name="vaccination_sign",
        title="接种签核",
        description=(
            "One row per dose the guardian signed at the vaccination desk (核对疫苗、批号、部位后签字). Doses "
            "without a row were not signed. DOMAIN.md §8.4 vaccination sign-off."
        ),
        key="sign_id",
        indexes=("vaccination_id",),
        current_indexes=(("vaccination_id",),),
        columns=(
            Column("sign_id", "bigint", "签核编号", nullable=False),
            Column("vaccination_id", "bigint", "接种记录编号", nullable=False),
            Column("signed_at", "timestamp", "签字时间", nullable=False),
            Column("signer_type", "varchar(10)", "签字人: guardian 监护人, self 本人", code_table="signer_type"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
    Table(
        name="observation",
        title="留观记录",
        description=(
            "One row per visit observed after vaccination (接种后留观, DOMAIN.md §8.3): start and end of the "
            "observation (obs_end_at null when the child left without being signed out) and whether an adverse "
            "event (AEFI) was recorded during it."
        ),
        key="observation_id",
        indexes=("recipient_id",),
        current_indexes=(("visit_date", "unit_id"),),
        columns=(
            Column("observation_id", "bigint", "留观编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "接种单位编码", nullable=False),
            Column("visit_date", "date", "就诊日期", nullable=False),
            Column("obs_start_at", "timestamp", "留观开始时间", nullable=False),
            Column("obs_end_at", "timestamp", "留观结束时间"),
            Column("has_aefi", "boolean", "留观期间是否发生疑似预防接种异常反应", nullable=False),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
    Table(
        name="service_evaluation",
        title="门诊服务评价",
        description=(
            "One row per evaluation of a visit: is_active true when the guardian rated actively (主动评价), "
            "false for the system's default rating after the evaluation window closed (默认评价). rating 1–5."
        ),
        key="evaluation_id",
        indexes=("unit_id",),
        columns=(
            Column("evaluation_id", "bigint", "评价编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "接种单位编码", nullable=False),
            Column("visit_date", "date", "就诊日期", nullable=False),
            Column("evaluated_at", "timestamp", "评价时间", nullable=False),
            Column("is_active", "boolean", "是否主动评价", nullable=False),
            Column("rating", "smallint", "评分 (1–5)"),
            Column("comment", "varchar(200)", "评价内容"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
