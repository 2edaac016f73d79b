"""Obstetric newborn records (产科新生儿档案): what the birth hospital's obstetric unit records at birth.

The obstetric module is the source of the birth doses' context (DOMAIN.md §1.3, §8.5): the mother's HBsAg
status as tested at delivery (it has priority over ``recipient.mother_hbsag``), HepB dose 1 / BCG given at
birth or the reason they were not (未种原因), and HBIG. The record is pushed to the receiving clinic
(产科档案推送); ``recipient_id`` is set once the clinic has created the child's card.
"""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="newborn",
        title="产科新生儿档案",
        description=(
            "One row per live birth recorded by an obstetric unit (unit_type obstetric). hepb1_at/bcg_at/hbig_at "
            "are the birth doses as recorded in the obstetric module (the same doses appear in ops.vaccination "
            "with the obstetric unit as unit_id); when a birth dose was not given, its reason code "
            "(unvaccinated_reason) says why. recipient_id is null until the clinic card (ops.recipient) exists."
        ),
        key="newborn_id",
        indexes=("obstetric_unit_id", "recipient_id"),
        columns=(
            Column("newborn_id", "bigint", "新生儿档案编号", nullable=False),
            Column("obstetric_unit_id", "varchar(20)", "产科单位编码", nullable=False),
            Column("newborn_name", "varchar(50)", "新生儿姓名 (常为空或“某某之子/之女”)"),
            Column("sex", "varchar(1)", "性别", code_table="sex"),
            Column("birth_at", "timestamp", "出生时间", nullable=False),
            Column("birth_weight", "integer", "出生体重 (克)"),
            Column("mother_name", "varchar(50)", "母亲姓名", nullable=False),
            Column("mother_id_number", "varchar(18)", "母亲身份证号"),
            Column("mother_hbsag", "varchar(1)", "母亲HBsAg (分娩时检测): 1 阳性, 2 阴性, 3 不详", code_table="hbsag"),
            Column("is_hepb1_given", "boolean", "出生时是否接种乙肝疫苗第1剂", nullable=False),
            Column("hepb1_at", "timestamp", "乙肝疫苗第1剂接种时间"),
            Column("hepb1_reason", "varchar(2)", "乙肝疫苗未种原因", code_table="unvaccinated_reason"),
            Column("is_bcg_given", "boolean", "出生时是否接种卡介苗", nullable=False),
            Column("bcg_at", "timestamp", "卡介苗接种时间"),
            Column("bcg_reason", "varchar(2)", "卡介苗未种原因", code_table="unvaccinated_reason"),
            Column("is_hbig_given", "boolean", "是否注射乙肝免疫球蛋白 (HBIG)", nullable=False),
            Column("hbig_at", "timestamp", "HBIG 注射时间"),
            Column("household_township_code", "varchar(12)", "户籍地乡镇代码"),
            Column("residence_township_code", "varchar(12)", "现住址乡镇代码"),
            Column("recipient_id", "bigint", "受种者编号 (门诊建卡后回填)"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "建档时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
