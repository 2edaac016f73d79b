"""Code tables maintained in the operational system (loaded, never hard-coded)."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="vaccine",
        title="疫苗字典",
        description=(
            "The 4-digit legacy national vaccine code table (DOMAIN.md §3.2): the first two digits are the "
            "vaccine category (大类) within which dose numbers run."
        ),
        key="vaccine_code",
        columns=(
            Column("vaccine_code", "varchar(4)", "疫苗编码", nullable=False),
            Column("vaccine_name", "varchar(60)", "疫苗名称", nullable=False),
            Column("vaccine_abbr", "varchar(20)", "英文简称"),
            Column("category_code", "varchar(2)", "疫苗大类 (编码前两位; 脊灰含 IPV/OPV)", nullable=False),
            Column("is_nip", "boolean", "是否国家免疫规划疫苗 (免费)", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
    Table(
        name="manufacturer",
        title="生产企业字典",
        description="Vaccine manufacturers (生产企业) with their codes.",
        key="manufacturer_code",
        columns=(
            Column("manufacturer_code", "varchar(10)", "生产企业编码", nullable=False),
            Column("manufacturer_name", "varchar(100)", "生产企业名称", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
