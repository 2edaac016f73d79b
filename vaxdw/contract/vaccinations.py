"""Vaccination records (接种记录): one row per dose."""

from vaxdw.contract.model import Column, Table

TABLES = [
    Table(
        name="vaccination",
        title="接种记录",
        description=(
            "One row per dose given. dose_no runs per vaccine category (first two digits of the code). "
            "expiry_date is a legacy text field (YYYY-MM-DD) and may hold unparseable values; such rows "
            "are quarantined on load."
        ),
        key="vaccination_id",
        indexes=("recipient_id",),
        current_indexes=(("recipient_id",),),
        columns=(
            Column("vaccination_id", "bigint", "接种记录编号", nullable=False),
            Column("recipient_id", "bigint", "受种者编号", nullable=False),
            Column("vaccine_code", "varchar(4)", "疫苗编码", code_table="vaccine", nullable=False),
            Column("dose_no", "smallint", "剂次 (按疫苗大类)"),
            Column("vaccinated_at", "timestamp", "接种时间 (Asia/Shanghai)", nullable=False),
            Column("unit_id", "varchar(20)", "接种单位编码"),
            Column("vaccinator_id", "bigint", "接种医生 (staff_id)"),
            Column("manufacturer_code", "varchar(10)", "生产企业编码", code_table="manufacturer"),
            Column("batch_no", "varchar(30)", "疫苗批号"),
            Column("expiry_date", "varchar(10)", "有效期 (旧系统文本 YYYY-MM-DD)", raw_type="date"),
            Column("site_code", "varchar(2)", "接种部位", code_table="site"),
            Column("route_code", "varchar(2)", "接种途径", code_table="route"),
            Column("vacc_property", "varchar(1)", "接种属性: 0 基础, 1 加强, 2 强化, 3 应急", code_table="vacc_property"),
            Column("is_free", "boolean", "是否免费"),
            Column("entered_at", "timestamp", "录入时间", nullable=False),
            Column("uploaded_at", "timestamp", "上传时间 (null until uploaded)"),
            Column("is_deleted", "boolean", "删除/作废标志", nullable=False),
            Column("created_at", "timestamp", "创建时间", nullable=False),
            Column("updated_at", "timestamp", "最后修改时间", nullable=False),
        ),
    ),
]
