"""Vaccine traceability (疫苗追溯): products and specifications, batches, trace codes, stock documents and
lines, purchase contracts and deliveries, plans, prices and fees, cold-chain equipment (DOMAIN.md §3.5, §4,
§8.9)."""

from vaxdw.contract.model import Column, Table

UPDATED = Column("updated_at", "timestamp", "最后修改时间", nullable=False)

DOC_TYPES = {
    "IN_PURCHASE": "采购入库",
    "IN_TRANSFER": "调拨入库",
    "IN_RETURN": "退回入库",
    "OUT_USE": "接种使用",
    "OUT_TRANSFER": "调拨出库",
    "OUT_SCRAP": "报损出库",
    "OUT_RETURN": "退回出库",
}

TABLES = [
    Table(
        name="product_spec",
        title="疫苗品规",
        description=(
            "Product specification (品规): one vaccine of one manufacturer in one presentation — dose volume, "
            "人份 per 支/瓶, package unit, NIP or not, and the 7-digit drug identification code (药品标识码) that "
            "prefixes its 20-digit trace codes."
        ),
        key="spec_id",
        columns=(
            Column("spec_id", "varchar(12)", "品规编码", nullable=False),
            Column("vaccine_code", "varchar(4)", "疫苗编码", code_table="vaccine", nullable=False),
            Column("manufacturer_code", "varchar(10)", "生产企业编码", code_table="manufacturer", nullable=False),
            Column("spec_name", "varchar(40)", "规格 (如 0.5ml/支)", nullable=False),
            Column("dose_volume_ml", "numeric(5,2)", "每人份剂量 (ml)"),
            Column("doses_per_unit", "smallint", "每支/瓶人份数", nullable=False),
            Column("package_unit", "varchar(4)", "包装单位 (支/瓶)", nullable=False),
            Column("is_nip", "boolean", "是否免疫规划疫苗", nullable=False),
            Column("drug_id_code", "varchar(7)", "药品标识码 (追溯码前7位)", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="vaccine_batch",
        title="疫苗批次",
        description="A batch (批号) of one specification, with its expiry and lot-release certificate number (批签发).",
        key="batch_id",
        indexes=("spec_id",),
        columns=(
            Column("batch_id", "varchar(40)", "批次编码 (品规编码:批号)", nullable=False),
            Column("spec_id", "varchar(12)", "品规编码", nullable=False),
            Column("batch_no", "varchar(30)", "批号", nullable=False),
            Column("production_date", "date", "生产日期"),
            Column("expiry_date", "date", "有效期至", nullable=False),
            Column("lot_release_no", "varchar(30)", "批签发证明编号"),
            UPDATED,
        ),
    ),
    Table(
        name="trace_code",
        title="疫苗追溯码",
        description=(
            "20-digit traceability codes (药品追溯码) of smallest packages scanned in; the first 7 digits are the "
            "drug identification code of the specification. Validated structurally only (DOMAIN.md §3.5)."
        ),
        key="trace_code",
        indexes=("batch_id",),
        columns=(
            Column("trace_code", "varchar(40)", "追溯码", nullable=False),
            Column("batch_id", "varchar(40)", "批次编码", nullable=False),
            Column("unit_id", "varchar(20)", "扫码入库单位"),
            Column("scanned_at", "timestamp", "扫码时间"),
            UPDATED,
        ),
    ),
    Table(
        name="stock_doc",
        title="出入库单据",
        description=(
            "A stock document (出入库单) of one unit: type (IN_PURCHASE, IN_TRANSFER, IN_RETURN, OUT_USE, "
            "OUT_TRANSFER, OUT_SCRAP, OUT_RETURN), date, counterparty, handler, scrap reason."
        ),
        key="doc_id",
        indexes=("unit_id",),
        current_indexes=(("unit_id",),),
        columns=(
            Column("doc_id", "bigint", "单据编号", nullable=False),
            Column("doc_no", "varchar(30)", "单据号", nullable=False),
            Column("doc_type", "varchar(12)", "单据类型", code_table="stock_doc_type", nullable=False),
            Column("unit_id", "varchar(20)", "本单位编码", nullable=False),
            Column("doc_date", "date", "出入库日期", nullable=False),
            Column("counterparty_unit_id", "varchar(20)", "对方单位编码 (调拨/退回)"),
            Column("counterparty_name", "varchar(100)", "对方单位名称 (供货企业等)"),
            Column("handler", "varchar(30)", "经办人"),
            Column("reason", "varchar(40)", "报损原因/备注"),
            Column("is_deleted", "boolean", "作废标志", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="stock_line",
        title="出入库明细",
        description="Lines of a stock document: batch and quantity in 支/瓶 (quantity) and 人份 (dose_quantity).",
        key="line_id",
        indexes=("doc_id",),
        current_indexes=(("doc_id",),),
        columns=(
            Column("line_id", "bigint", "明细编号", nullable=False),
            Column("doc_id", "bigint", "单据编号", nullable=False),
            Column("batch_id", "varchar(40)", "批次编码", nullable=False),
            Column("quantity", "integer", "数量 (支/瓶)", nullable=False),
            Column("dose_quantity", "integer", "数量 (人份)", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="purchase_contract",
        title="采购合同",
        description="Provincial purchase contracts (采购合同): one specification per contract, quantity in 支/瓶.",
        key="contract_id",
        columns=(
            Column("contract_id", "bigint", "合同编号", nullable=False),
            Column("contract_no", "varchar(30)", "合同号", nullable=False),
            Column("contract_year", "smallint", "合同年度", nullable=False),
            Column("spec_id", "varchar(12)", "品规编码", nullable=False),
            Column("contracted_quantity", "integer", "合同数量 (支/瓶)", nullable=False),
            Column("unit_price", "numeric(10,2)", "合同单价 (元)"),
            Column("signed_date", "date", "签订日期", nullable=False),
            Column("due_date", "date", "约定交货截止日期", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="contract_delivery",
        title="合同到货",
        description="Deliveries against a contract: the purchase-in document that received them.",
        key="delivery_id",
        columns=(
            Column("delivery_id", "bigint", "到货编号", nullable=False),
            Column("contract_id", "bigint", "合同编号", nullable=False),
            Column("doc_id", "bigint", "采购入库单据编号", nullable=False),
            Column("delivered_quantity", "integer", "到货数量 (支/瓶)", nullable=False),
            Column("delivery_date", "date", "到货日期", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="vaccine_plan",
        title="疫苗计划",
        description=(
            "Vaccine plans (疫苗计划) reported by a unit to its parent: period type month/quarter/year, NIP or "
            "non-NIP, planned quantity (人份), the parent's adjusted quantity and the status."
        ),
        key="plan_id",
        columns=(
            Column("plan_id", "bigint", "计划编号", nullable=False),
            Column("unit_id", "varchar(20)", "上报单位编码", nullable=False),
            Column("parent_unit_id", "varchar(20)", "上级单位编码", nullable=False),
            Column("period_type", "varchar(8)", "计划周期: month/quarter/year", nullable=False),
            Column("period_start", "date", "周期开始日期", nullable=False),
            Column("vaccine_code", "varchar(4)", "疫苗编码", nullable=False),
            Column("is_nip", "boolean", "是否免疫规划疫苗", nullable=False),
            Column("planned_quantity", "integer", "上报数量 (人份)", nullable=False),
            Column("adjusted_quantity", "integer", "上级调整后数量 (人份, null=未调整)"),
            Column("adjust_reason", "varchar(60)", "调整原因"),
            Column("status", "varchar(10)", "状态: submitted/approved/issued", nullable=False),
            Column("submitted_at", "timestamp", "上报时间", nullable=False),
            UPDATED,
        ),
    ),
    Table(
        name="vaccine_price",
        title="疫苗价格",
        description="Price per 支/瓶 of a specification with its effective dates (history), NIP and non-NIP.",
        key="price_id",
        columns=(
            Column("price_id", "bigint", "价格编号", nullable=False),
            Column("spec_id", "varchar(12)", "品规编码", nullable=False),
            Column("unit_price", "numeric(10,2)", "单价 (元/支或瓶)", nullable=False),
            Column("effective_from", "date", "生效日期", nullable=False),
            Column("effective_to", "date", "失效日期 (含; null=现行)"),
            UPDATED,
        ),
    ),
    Table(
        name="fee_config",
        title="储运费配置",
        description=(
            "Storage and shipping fee (储存费/运输费) charged on non-NIP outbound transfer documents, per 人份, "
            "with effective dates."
        ),
        key="fee_id",
        columns=(
            Column("fee_id", "bigint", "配置编号", nullable=False),
            Column("fee_type", "varchar(10)", "费用类型: storage/shipping", nullable=False),
            Column("unit_level", "varchar(12)", "出库单位类型 (prov_cdc/city_cdc/county_cdc)", nullable=False),
            Column("fee_per_dose", "numeric(8,2)", "每人份费用 (元)", nullable=False),
            Column("effective_from", "date", "生效日期", nullable=False),
            Column("effective_to", "date", "失效日期 (含; null=现行)"),
            UPDATED,
        ),
    ),
    Table(
        name="cold_chain_equipment",
        title="冷链设备",
        description="Cold-chain equipment archive (冷链设备档案) of each unit (DOMAIN.md §4 proposed columns).",
        key="equipment_id",
        columns=(
            Column("equipment_id", "varchar(24)", "设备编码", nullable=False),
            Column("unit_id", "varchar(20)", "所属单位编码", nullable=False),
            Column("equipment_type", "varchar(10)", "设备类型 (冷库/冰箱/冷藏箱/冷藏车/疫苗运输车)", nullable=False),
            Column("brand", "varchar(30)", "品牌"),
            Column("model", "varchar(30)", "型号"),
            Column("volume_l", "integer", "容积 (升)"),
            Column("purchase_date", "date", "购置日期"),
            Column("funding_source", "varchar(20)", "经费来源"),
            Column("in_use_date", "date", "启用日期"),
            Column("location", "varchar(60)", "放置地点"),
            Column("status", "varchar(8)", "状态 (在用/维修/报废)", nullable=False),
            Column("scrapped_date", "date", "报废日期"),
            Column("maintenance_notes", "varchar(200)", "维修保养记录"),
            Column("probe_id", "varchar(20)", "温度探头编号"),
            UPDATED,
        ),
    ),
]
