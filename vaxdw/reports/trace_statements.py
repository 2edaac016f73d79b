"""Traceability statements beside the stock ones (vaxdw.reports.stock): 采购合同履约 (35), 冷链设备档案表
(39), 疫苗价格 (40) — price history, the storage/shipping fee configuration and the fee lines of non-NIP
outbound transfers.

Every query takes an optional access ``Grant``; its SQL filter is ANDed in (region and vaccine scope). The
equipment archive has no vaccine, so it is filtered on region only (a vaccine-scoped account gets none:
the grant's vaccine condition fails on a null vaccine code, as the mart's RLS policy does).
"""

from __future__ import annotations

from datetime import date

from vaxdw.access.authorize import Grant
from vaxdw.db import PgParams
from vaxdw.reports.stock import _UNITS_CTE, StockReport, _frame, _scope, _unit_name

STATUS_ORDER = ("逾期未完成", "履约中", "未到货", "已履约")


def query_contract_fulfilment(params: PgParams, year_from: int | None = None, year_to: int | None = None,
                              grant: Grant | None = None, vaccine_codes: list[str] | None = None) -> StockReport:
    """采购合同履约: per contract of the years ``[year_from, year_to]`` — contracted, delivered, outstanding
    (支/瓶), rate, status (as of the mart's evaluation date)."""
    where, args = _scope(grant, "c")
    sql = f"""
    select c.contract_no, c.contract_year, c.vaccine_code, c.vaccine_name, c.spec_id, c.spec_name,
           c.manufacturer_code, m.manufacturer_name, c.unit_id, u.unit_name, c.contracted_quantity,
           c.delivered_quantity, c.outstanding_quantity, c.fulfilment_rate, c.deliveries, c.last_delivery_date,
           c.signed_date, c.due_date, c.status
    from marts.rpt_contract_fulfilment as c
    left join marts.dim_unit as u on u.unit_id = c.unit_id
    left join staging.stg_ops__manufacturer as m on m.manufacturer_code = c.manufacturer_code
    where (%s::int is null or c.contract_year >= %s::int) and (%s::int is null or c.contract_year <= %s::int)
      and (%s::text[] is null or c.vaccine_code = any(%s::text[])) and {where}
    order by c.contract_year, c.contract_no
    """
    rows = _frame(params, sql, [year_from, year_from, year_to, year_to, vaccine_codes, vaccine_codes, *args])
    years = "全部" if year_from is None and year_to is None else (
        str(year_from) if year_from == year_to else f"{year_from or '…'} 至 {year_to or '…'}")
    filters = {"合同年度": years}
    return StockReport("采购合同履约情况表", filters, rows)


def query_equipment(params: PgParams, unit_id: str, include_subordinates: bool = False,
                    grant: Grant | None = None) -> StockReport:
    """冷链设备档案表: the unit's equipment (and its subordinates' with ``include_subordinates``)."""
    where, args = ("true", []) if grant is None else grant.sql_filter("e.region_code", "null::text")
    sql = _UNITS_CTE + f"""
    select e.equipment_id, e.unit_id, e.unit_name, e.equipment_type, e.brand, e.model, e.volume_l,
           e.purchase_date, e.funding_source, e.in_use_date, e.location, e.status, e.scrapped_date,
           e.maintenance_notes, e.probe_id
    from marts.dim_cold_chain_equipment as e
    inner join units on e.unit_id = units.unit_id
    where {where}
    order by e.unit_id, e.equipment_type, e.equipment_id
    """
    rows = _frame(params, sql, [unit_id, include_subordinates, *args])
    filters = {"单位": f"{_unit_name(params, unit_id)}{'及下级单位' if include_subordinates else ''}"}
    return StockReport("冷链设备档案表", filters, rows)


def query_prices(params: PgParams, grant: Grant | None = None,
                 vaccine_codes: list[str] | None = None) -> StockReport:
    """疫苗价格: every price of every specification with its effective dates (history), NIP and non-NIP."""
    where, args = _scope(grant, "p")
    sql = f"""
    select p.spec_id, p.vaccine_code, p.vaccine_name, m.manufacturer_name, p.spec_name,
           case when p.is_nip then '免疫规划' else '非免疫规划' end as nip_label, p.unit_price,
           p.effective_from, p.effective_to, case when p.is_current then '现行' else '历史' end as price_status
    from marts.dim_vaccine_price as p
    left join staging.stg_ops__manufacturer as m on m.manufacturer_code = p.manufacturer_code
    where (%s::text[] is null or p.vaccine_code = any(%s::text[])) and {where}
    order by p.is_nip desc, p.vaccine_code, p.spec_id, p.effective_from
    """
    rows = _frame(params, sql, [vaccine_codes, vaccine_codes, *args])
    return StockReport("疫苗价格表", {"范围": "免疫规划及非免疫规划疫苗（含价格历史）"}, rows)


def query_fee_config(params: PgParams) -> StockReport:
    """储运费配置: fee per 人份 by outbound unit level and fee type, with effective dates."""
    sql = """
    select case unit_level when 'prov_cdc' then '省级疾控' when 'city_cdc' then '市级疾控'
                           when 'county_cdc' then '县级疾控' else unit_level end as unit_level_name,
           case fee_type when 'storage' then '储存费' when 'shipping' then '运输费' else fee_type end as fee_type_name,
           fee_per_dose, effective_from, effective_to
    from staging.stg_ops__fee_config
    order by unit_level, fee_type, effective_from
    """
    return StockReport("非免疫规划疫苗储运费配置", {}, _frame(params, sql, []))


def query_fee_lines(params: PgParams, unit_id: str, date_from: date | None, date_to: date | None,
                    grant: Grant | None = None) -> StockReport:
    """储运费明细: the unit's non-NIP outbound transfer lines with price and fees in force on the document date."""
    where, args = _scope(grant)
    sql = f"""
    select m.doc_date, m.doc_no, m.counterparty_name, m.vaccine_name, m.manufacturer_name, m.spec_name,
           m.batch_no, m.quantity, m.dose_quantity, m.unit_price, m.amount, m.storage_fee, m.shipping_fee,
           coalesce(m.storage_fee, 0) + coalesce(m.shipping_fee, 0) as fee_total
    from marts.fct_stock_movements as m
    where m.unit_id = %s and (%s::date is null or m.doc_date >= %s::date)
      and (%s::date is null or m.doc_date <= %s::date) and not m.is_nip and m.doc_type = 'OUT_TRANSFER'
      and {where}
    order by m.doc_date, m.doc_id, m.line_id
    """
    rows = _frame(params, sql, [unit_id, date_from, date_from, date_to, date_to, *args])
    period = f"{date_from or '…'} 至 {date_to or '…'}" if date_from or date_to else "全部"
    filters = {"单位": _unit_name(params, unit_id), "出库日期": period}
    return StockReport("非免疫规划疫苗出库储运费明细", filters, rows)
