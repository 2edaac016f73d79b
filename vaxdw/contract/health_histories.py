"""A child's health histories kept by the clinic: contraindications (禁忌症), adverse events following
immunization (AEFI, 疑似预防接种异常反应), infectious-disease history (传染病史) and allergies (过敏史)."""

from vaxdw.contract.model import Column, Table

_TAIL = (
    Column("is_deleted", "boolean", "删除标志", nullable=False),
    Column("created_at", "timestamp", "创建时间", nullable=False),
    Column("updated_at", "timestamp", "最后修改时间", nullable=False),
)

TABLES = [
    Table(
        name="contraindication",
        title="禁忌症",
        description="Contraindications recorded for a child; temporary ones (暂缓接种) end at valid_until.",
        key="contraindication_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("contraindication_id", "bigint", "禁忌症编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "登记单位编码"),
            Column("contraindication_code", "varchar(4)", "禁忌症", code_table="contraindication", nullable=False),
            Column("vaccine_code", "varchar(4)", "相关疫苗编码 (null = 所有疫苗)", code_table="vaccine"),
            Column("recorded_at", "timestamp", "登记时间", nullable=False),
            Column("valid_until", "date", "暂缓至 (null = 永久)"),
            *_TAIL,
        ),
    ),
    Table(
        name="aefi",
        title="疑似预防接种异常反应",
        description=(
            "AEFI reports (疑似预防接种异常反应): onset after a dose, during observation (留观) or later."
        ),
        key="aefi_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("aefi_id", "bigint", "AEFI编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("vaccination_id", "bigint", "相关接种记录编号"),
            Column("unit_id", "varchar(20)", "报告单位编码"),
            Column("onset_at", "timestamp", "发生时间", nullable=False),
            Column("reported_at", "timestamp", "报告时间", nullable=False),
            Column("aefi_code", "varchar(4)", "反应类型", code_table="aefi", nullable=False),
            Column("is_serious", "boolean", "是否严重", nullable=False),
            Column("outcome", "varchar(10)", "转归: recovered 痊愈, improving 好转, sequelae 后遗症", code_table="aefi_outcome"),
            *_TAIL,
        ),
    ),
    Table(
        name="infection_history",
        title="传染病史",
        description="Infectious diseases a child had (affects later vaccination, e.g. varicella).",
        key="infection_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("infection_id", "bigint", "传染病史编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "登记单位编码"),
            Column("disease_code", "varchar(4)", "疾病", code_table="infectious_disease", nullable=False),
            Column("diagnosed_date", "date", "诊断日期"),
            Column("recorded_at", "timestamp", "登记时间", nullable=False),
            *_TAIL,
        ),
    ),
    Table(
        name="allergy_history",
        title="过敏史",
        description="Allergies of a child (过敏原 and reaction).",
        key="allergy_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),  # 受种者个案 (rpt_recipient_case)
        columns=(
            Column("allergy_id", "bigint", "过敏史编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("unit_id", "varchar(20)", "登记单位编码"),
            Column("allergen_code", "varchar(4)", "过敏原", code_table="allergen", nullable=False),
            Column("reaction", "varchar(100)", "过敏表现"),
            Column("recorded_at", "timestamp", "登记时间", nullable=False),
            *_TAIL,
        ),
    ),
]
