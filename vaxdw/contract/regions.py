"""Administrative regions (GB/T 2260 down to county; generated townships) and their history."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="region",
        title="行政区划",
        description=(
            "Province, cities and county-level units with their GB/T 2260 codes, and the township level "
            "(乡镇/街道) under each county with 9-digit codes (county code + 3 digits). Superseded codes "
            "stay with valid_to set, because old records carry old codes."
        ),
        key="region_code",
        columns=(
            Column("region_code", "varchar(12)", "区划代码: 6 digits (province/city/county) or 9 digits (township)", nullable=False),
            Column("region_name", "varchar(60)", "区划名称", nullable=False),
            Column("region_level", "smallint", "级别: 1 省, 2 市, 3 县(区), 4 乡镇(街道)", code_table="region_level", nullable=False),
            Column("parent_code", "varchar(12)", "上级区划代码 (null for the province)"),
            Column("valid_from", "date", "启用日期"),
            Column("valid_to", "date", "停用日期 (null while current)"),
            Column("updated_at", "timestamp", "最后修改时间 (Asia/Shanghai)", nullable=False),
        ),
    ),
    Table(
        name="township_change",
        title="乡镇区划变更",
        description=(
            "Township code history: merges (several old codes → one new code), renames and splits "
            "(one old code → several new codes, one row each). A child's old township code is resolved by "
            "following old_code → new_code for every change effective on or before the evaluation date."
        ),
        key="change_id",
        columns=(
            Column("change_id", "integer", "变更编号", nullable=False),
            Column("old_code", "varchar(12)", "原乡镇代码", nullable=False),
            Column("new_code", "varchar(12)", "新乡镇代码", nullable=False),
            Column("change_type", "varchar(10)", "变更类型: merge 合并, split 拆分, rename 更名", code_table="change_type", nullable=False),
            Column("effective_date", "date", "生效日期", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
