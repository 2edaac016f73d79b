"""疫苗追溯: 下级库存 (rpt_stock_on_hand), 出库与接种核对 / 盘点 (rpt_stock_reconciliation), 出入库账簿
(fct_stock_movements) and 采购合同履约 (rpt_contract_fulfilment) from marts/traceability.

Scope: the marts' own ``region_code`` (the unit's most specific region, the column their PostgreSQL
policies use) and ``vaccine_code``: the rabies and haemorrhagic-fever accounts see only their vaccine.
Names for the region filters come from dim_unit. Labels come from the traceability YAML when it has
``label_zh`` (else the column names show until the assets are regenerated).
"""

from __future__ import annotations

from vaxdw.bi.dashboards.unit_regions import UNIT_REGION_SELECT, labels_with_regions, unit_join
from vaxdw.bi.specs import (
    UNIT_REGION_COLUMNS,
    Chart,
    Dashboard,
    Dataset,
    Metric,
    NativeFilter,
    ratio_of_sums,
    region_filters,
)

STOCK_REGION_COLUMNS = {**UNIT_REGION_COLUMNS, "region": "region_code"}

STOCK_ON_HAND = Dataset(
    name="stock_on_hand",
    schema="marts",
    description="实时库存 (每个单位每个批次一行, 评价日期时的库存), 附单位所在地区",
    sql=f"""select
    s.unit_id,
    s.unit_name,
    s.unit_type,
    s.region_code,
    {UNIT_REGION_SELECT},
    s.batch_id,
    s.spec_name,
    s.vaccine_code,
    s.vaccine_name,
    s.manufacturer_name,
    s.batch_no,
    s.expiry_date,
    s.is_nip,
    s.stock_quantity,
    s.stock_dose_quantity,
    s.last_movement_date,
    s.is_expired,
    s.is_expiring_soon,
    s.has_negative_balance
from marts.rpt_stock_on_hand as s
{unit_join("s.unit_id")}""",
    label_models=("rpt_stock_on_hand",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位"),
    metrics=(
        Metric("stock_quantity", "sum(stock_quantity)", "库存数量(支)", ",d"),
        Metric("stock_doses", "sum(stock_dose_quantity)", "库存人份", ",d"),
        Metric("batches_in_stock", "count(*) filter (where stock_quantity > 0)", "有库存批次数", ",d"),
        Metric("expired_in_stock", "sum(stock_quantity) filter (where is_expired and stock_quantity > 0)",
               "过期库存(支)", ",d"),
        Metric("expiring_soon", "sum(stock_quantity) filter (where is_expiring_soon and stock_quantity > 0)",
               "近效期库存(支)", ",d"),
        Metric("negative_batches", "count(*) filter (where has_negative_balance)", "出现负库存的批次数", ",d"),
    ),
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

RECONCILIATION = Dataset(
    name="stock_reconciliation",
    schema="marts",
    description="出库与接种核对 (每个单位每个批次: 接种使用出库人份与登记接种剂次)",
    sql=f"""select
    r.unit_id,
    r.unit_name,
    r.region_code,
    {UNIT_REGION_SELECT},
    r.vaccine_code,
    coalesce(v.vaccine_name, r.vaccine_code) as vaccine_name,
    r.manufacturer_code,
    r.batch_no,
    r.doses_per_unit,
    r.used_quantity,
    r.used_dose_quantity,
    r.doses_given,
    r.dose_difference,
    r.is_outside_register,
    r.reconciliation_status,
    case r.reconciliation_status
        when 'ok' then '一致'
        when 'outside_register' then '登记外疫苗(不核对)'
        when 'doses_without_stock_movement' then '接种无对应出库'
        when 'use_without_doses' then '出库无对应接种'
        else r.reconciliation_status
    end as reconciliation_status_name
from marts.rpt_stock_reconciliation as r
left join (select distinct vaccine_code, vaccine_name from marts.dim_vaccine_price) as v
    on v.vaccine_code = r.vaccine_code
{unit_join("r.unit_id")}""",
    label_models=("rpt_stock_reconciliation",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位", vaccine_name="疫苗名称",
                               reconciliation_status_name="核对结果"),
    metrics=(
        Metric("used_doses", "sum(used_dose_quantity)", "接种使用出库(人份)", ",d"),
        Metric("doses_given", "sum(doses_given)", "登记接种剂次", ",d"),
        Metric("checked_lines", "count(*) filter (where not is_outside_register)", "核对批次数", ",d"),
        Metric("mismatch_lines",
               "count(*) filter (where reconciliation_status in ('doses_without_stock_movement', 'use_without_doses'))",
               "不一致批次数", ",d"),
        Metric("match_rate",
               "(count(*) filter (where reconciliation_status = 'ok'))::float"
               " / nullif(count(*) filter (where not is_outside_register), 0)::float",
               "核对一致率", ".1%"),
    ),
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

MOVEMENTS = Dataset(
    name="stock_movements",
    schema="marts",
    description="出入库账簿 (每行一笔出入库明细, 含批次结存)",
    sql=f"""select
    m.line_id,
    m.doc_no,
    m.doc_type,
    m.doc_type_name,
    m.doc_date,
    m.is_in,
    m.unit_id,
    m.unit_name,
    m.region_code,
    {UNIT_REGION_SELECT},
    m.counterparty_name,
    m.vaccine_code,
    m.vaccine_name,
    m.manufacturer_name,
    m.spec_name,
    m.batch_no,
    m.expiry_date,
    m.quantity,
    m.dose_quantity,
    m.signed_quantity,
    m.balance_after,
    m.amount
from marts.fct_stock_movements as m
{unit_join("m.unit_id")}""",
    label_models=("fct_stock_movements",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位"),
    metrics=(
        Metric("movement_lines", "count(*)", "出入库笔数", ",d"),
        Metric("in_quantity", "sum(quantity) filter (where is_in)", "入库数量(支)", ",d"),
        Metric("out_quantity", "sum(quantity) filter (where not is_in)", "出库数量(支)", ",d"),
    ),
    time_column="doc_date",
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

CONTRACTS = Dataset(
    name="contract_fulfilment",
    schema="marts",
    description="采购合同履约 (每个合同一行: 合同数量、到货、未到货、履约状态), 省级合同",
    sql=f"""select
    c.contract_id,
    c.contract_no,
    c.contract_year,
    c.spec_name,
    c.vaccine_code,
    c.vaccine_name,
    c.manufacturer_code,
    c.region_code,
    c.unit_id,
    u.unit_name,
    {UNIT_REGION_SELECT},
    c.contracted_quantity,
    c.delivered_quantity,
    c.outstanding_quantity,
    c.fulfilment_rate::float as fulfilment_rate,
    c.deliveries,
    c.last_delivery_date,
    c.signed_date,
    c.due_date,
    c.status
from marts.rpt_contract_fulfilment as c
{unit_join("c.unit_id")}""",
    label_models=("rpt_contract_fulfilment",),
    labels=labels_with_regions(unit_id="单位编码", unit_name="单位"),
    metrics=(
        Metric("contracts", "count(*)", "合同数", ",d"),
        Metric("contracted", "sum(contracted_quantity)", "合同数量", ",d"),
        Metric("delivered", "sum(delivered_quantity)", "已到货数量", ",d"),
        Metric("outstanding", "sum(outstanding_quantity)", "未到货数量", ",d"),
        Metric("contract_fulfilment_rate",
               ratio_of_sums("delivered_quantity", "contracted_quantity"), "履约率", ".1%"),
    ),
    time_column="signed_date",
    region_columns=STOCK_REGION_COLUMNS,
    vaccine_column="vaccine_code",
)

DATASETS = [STOCK_ON_HAND, RECONCILIATION, MOVEMENTS, CONTRACTS]

DASHBOARD = Dashboard(
    slug="stock",
    title="疫苗追溯",
    description="下级库存(实时库存、过期与近效期)、出库与接种核对(盘点)、出入库账簿(明细及结存)、"
                "采购合同履约;狂犬病、出血热疫苗专项账号只看到本疫苗。",
    reports=("下级库存", "出库与接种核对(盘点)", "出入库账簿", "采购合同履约"),
    order=60,
    rows=(
        (
            Chart("stock-doses", "库存人份", "stock_on_hand", "big_number", ("stock_doses",), width=3),
            Chart("expired", "过期库存(支)", "stock_on_hand", "big_number", ("expired_in_stock",), width=3),
            Chart("match-rate", "出库与接种核对一致率", "stock_reconciliation", "big_number", ("match_rate",),
                  width=3),
            Chart("fulfilment-rate", "合同履约率", "contract_fulfilment", "big_number",
                  ("contract_fulfilment_rate",), width=3),
        ),
        (
            Chart("stock-by-city", "各市库存(支)", "stock_on_hand", "bar", ("stock_quantity",),
                  ("unit_city_name",), width=6),
            Chart("movements-by-month", "逐月出入库数量", "stock_movements", "line",
                  ("in_quantity", "out_quantity"), ("doc_date",), width=6),
        ),
        (
            Chart("stock-by-vaccine", "下级库存(各县区、疫苗)", "stock_on_hand", "table",
                  ("stock_quantity", "stock_doses", "batches_in_stock", "expired_in_stock", "expiring_soon",
                   "negative_batches"),
                  ("unit_city_name", "unit_county_name", "vaccine_name"), width=12, height=60),
        ),
        (
            Chart("reconciliation-by-county", "出库与接种核对(各县区)", "stock_reconciliation", "table",
                  ("checked_lines", "mismatch_lines", "match_rate", "used_doses", "doses_given"),
                  ("unit_city_name", "unit_county_name", "reconciliation_status_name"), width=6, height=60),
            Chart("contracts", "采购合同履约", "contract_fulfilment", "table",
                  ("contracts", "contracted", "delivered", "outstanding", "contract_fulfilment_rate"),
                  ("contract_year", "vaccine_name", "status"), width=6, height=60),
        ),
        (
            Chart("ledger", "出入库账簿", "stock_movements", "detail",
                  columns=("doc_date", "unit_city_name", "unit_county_name", "unit_name", "unit_id", "doc_type_name",
                           "doc_no", "vaccine_name", "batch_no", "quantity", "balance_after", "counterparty_name"),
                  row_limit=500, width=12, height=70),
        ),
    ),
    filters=(
        *region_filters("stock_on_hand", prefix="stock-region"),
        NativeFilter("date", "单据日期 / 合同签订日期", "time"),
        NativeFilter("vaccine", "疫苗", "select", "stock_on_hand", "vaccine_name"),
    ),
)
