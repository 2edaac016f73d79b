"""Organisational units: CDCs, vaccination clinics and obstetric units."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="unit",
        title="单位",
        description=(
            "Every organisation that records data: the provincial CDC, city and county CDCs, vaccination "
            "clinics (接种门诊) and obstetric units (产科). Each is placed in a township and has a parent unit "
            "(clinic → county CDC → city CDC → provincial CDC)."
        ),
        key="unit_id",
        columns=(
            Column("unit_id", "varchar(20)", "单位编码", nullable=False),
            Column("unit_name", "varchar(100)", "单位名称", nullable=False),
            Column("unit_type", "varchar(12)", "单位类型", code_table="unit_type", nullable=False),
            Column("township_code", "varchar(12)", "所在乡镇代码"),
            Column("county_code", "varchar(6)", "所在县(区)国标码", nullable=False),
            Column("parent_unit_id", "varchar(20)", "上级单位编码"),
            Column("is_active", "boolean", "是否启用", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
