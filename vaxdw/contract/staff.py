"""Staff: vaccinators and registrars."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="staff",
        title="业务人员",
        description="Vaccinators (接种医生) and registrars (登记人员) of each unit. The ID number identifies a person.",
        key="staff_id",
        columns=(
            Column("staff_id", "bigint", "人员编号", nullable=False),
            Column("unit_id", "varchar(20)", "所属单位编码", nullable=False),
            Column("staff_name", "varchar(50)", "姓名", nullable=False),
            Column("id_number", "varchar(18)", "身份证号 (GB 11643)"),
            Column("sex", "varchar(1)", "性别 (GB/T 2261.1: 1 男, 2 女)", code_table="sex"),
            Column("staff_role", "varchar(12)", "岗位: vaccinator 接种, registrar 登记", code_table="staff_role"),
            Column("is_deleted", "boolean", "删除标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
