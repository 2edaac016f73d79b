"""Recipients (受种者档案): the children."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="recipient",
        title="受种者档案",
        description=(
            "One row per child record. birth_weight is a legacy free-text field (grams) and may hold "
            "unparseable values; such rows are quarantined on load."
        ),
        key="recipient_id",
        indexes=("id_number",),
        columns=(
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("recipient_name", "varchar(50)", "姓名", nullable=False),
            Column("sex", "varchar(1)", "性别 (GB/T 2261.1: 1 男, 2 女)", code_table="sex"),
            Column("birth_at", "timestamp", "出生时间 (Asia/Shanghai)", nullable=False),
            Column("birth_weight", "varchar(10)", "出生体重 (克, 旧系统自由文本)", raw_type="integer"),
            Column("id_number", "varchar(18)", "身份证号 (GB 11643, 18位)"),
            Column("mother_name", "varchar(50)", "母亲姓名"),
            Column("mother_hbsag", "varchar(1)", "母亲乙肝表面抗原 (HBsAg): 1 阳性, 2 阴性, 3 不详", code_table="hbsag"),
            Column("household_township_code", "varchar(12)", "户籍地乡镇代码 (may be an old, merged code)"),
            Column("residence_township_code", "varchar(12)", "现住址乡镇代码 (may be an old, merged code)"),
            Column("is_local", "boolean", "居住属性: true 本地, false 流动"),
            Column("managing_unit_id", "varchar(20)", "现管理单位编码", nullable=False),
            Column("register_status", "smallint", "在册情况", code_table="register_status", nullable=False),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "建档时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
