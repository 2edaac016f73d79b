"""Stock statements over the traceability marts (DOMAIN.md §8.9): 下级库存统计 (29), 疫苗出入库登记表 (30),
疫苗盘点数据表 (31), 出入库账簿 (32); the 出血热/狂犬专项 accounts read the same queries through their grant.

Every query takes an optional access ``Grant`` (vaxdw.access.authorize): its SQL filter is ANDed in, so a
rabies-only account gets rabies rows only. User values always go in as query parameters.

- ``unit_id`` with ``include_subordinates``: the unit and every unit under it (parent_unit_id chain).
- Periods ``[date_from, date_to]`` are document dates, both inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from vaxdw.access.authorize import Grant
from vaxdw.db import PgParams, connect

MOVEMENTS = "marts.fct_stock_movements"
BALANCES = "marts.fct_stock_balances"


@dataclass
class StockReport:
    title: str
    filters: dict[str, str]
    rows: pd.DataFrame


def _scope(grant: Grant | None, table_alias: str = "m") -> tuple[str, list]:
    if grant is None:
        return "true", []
    return grant.sql_filter(f"{table_alias}.region_code", f"{table_alias}.vaccine_code")


_UNITS_CTE = """
with recursive units as (
    select unit_id, unit_name from marts.dim_unit where unit_id = %s
    union all
    select child.unit_id, child.unit_name
    from marts.dim_unit as child
    inner join units on child.parent_unit_id = units.unit_id
    where %s
)
"""


def _unit_name(params: PgParams, unit_id: str) -> str:
    with connect(params) as conn:
        row = conn.execute("select unit_name from marts.dim_unit where unit_id = %s", (unit_id,)).fetchone()
    if row is None:
        raise ValueError(f"单位编码 {unit_id} 不存在")
    return row[0]


def _frame(params: PgParams, sql: str, args: list) -> pd.DataFrame:
    with connect(params) as conn:
        cur = conn.execute(sql, args)
        return pd.DataFrame(cur.fetchall(), columns=[col.name for col in cur.description])


def query_subordinate_stock(params: PgParams, unit_id: str, as_of: date, grant: Grant | None = None,
                            include_subordinates: bool = True,
                            unit_types: tuple[str, ...] | None = None) -> StockReport:
    """下级库存统计: stock on ``as_of`` by unit, manufacturer, vaccine, spec and batch (non-zero rows);
    ``unit_types`` keeps the units of those types only (marts.dim_unit.unit_type).

    The stock on ``as_of`` is each unit and batch's totals over every movement (marts.fct_stock_balances,
    kept incrementally) less the lines after ``as_of``: a statement of a recent date reads a few days' lines,
    not the ledger of every unit under the province."""
    where_later, args_later = _scope(grant, "m")
    where_balance, args_balance = _scope(grant, "b")
    sql = _UNITS_CTE + f"""
    , later as (
        select m.unit_id, m.batch_id, sum(m.signed_quantity) as quantity,
               sum(m.signed_dose_quantity) as dose_quantity
        from {MOVEMENTS} as m
        inner join units on m.unit_id = units.unit_id
        where m.doc_date > %s and {where_later}
        group by m.unit_id, m.batch_id
    ),
    on_date as (
        select b.*, b.stock_quantity - coalesce(later.quantity, 0) as quantity_on_date,
               b.stock_dose_quantity - coalesce(later.dose_quantity, 0) as dose_quantity_on_date
        from {BALANCES} as b
        inner join units on b.unit_id = units.unit_id
        left join later on b.unit_id = later.unit_id and coalesce(b.batch_id, '') = coalesce(later.batch_id, '')
                       and b.batch_id is not distinct from later.batch_id  -- (hashable, then null-safe)
        where b.first_movement_date <= %s and (%s::text[] is null or b.unit_type = any(%s::text[]))
          and {where_balance}
    )
    select unit_id, max(unit_name) as unit_name, vaccine_code, max(vaccine_name) as vaccine_name,
           manufacturer_code, max(manufacturer_name) as manufacturer_name, spec_id,
           max(spec_name) as spec_name, batch_no, max(expiry_date) as expiry_date,
           max(lot_release_no) as lot_release_no,
           sum(quantity_on_date) as stock_quantity, sum(dose_quantity_on_date) as stock_dose_quantity,
           max(expiry_date) < %s as is_expired
    from on_date
    group by unit_id, vaccine_code, manufacturer_code, spec_id, batch_no
    having sum(quantity_on_date) <> 0
    order by unit_id, manufacturer_code, vaccine_code, spec_id, batch_no
    """
    types = list(unit_types) if unit_types is not None else None
    rows = _frame(params, sql, [unit_id, include_subordinates, as_of, *args_later, as_of, types, types,
                                *args_balance, as_of])
    filters = {"单位": f"{_unit_name(params, unit_id)}{'及下级单位' if include_subordinates else ''}",
               "统计日期": f"{as_of:%Y-%m-%d}"}
    return StockReport("下级库存统计表", filters, rows)


def query_stocktake(params: PgParams, unit_id: str, date_from: date, date_to: date,
                    grant: Grant | None = None) -> StockReport:
    """疫苗盘点数据表 (DOMAIN.md §8.9): opening, in, out, closing per spec and batch, with reconciliation."""
    where, args = _scope(grant)
    sql = f"""
    with lines as (
        select m.* from {MOVEMENTS} as m where m.unit_id = %s and m.doc_date <= %s and {where}
    ),
    per_batch as (
        select spec_id, batch_id, max(spec_name) as spec_name, max(vaccine_code) as vaccine_code,
               max(vaccine_name) as vaccine_name, max(manufacturer_code) as manufacturer_code,
               max(manufacturer_name) as manufacturer_name, max(batch_no) as batch_no,
               max(expiry_date) as expiry_date, max(doses_per_unit) as doses_per_unit,
               coalesce(sum(signed_quantity) filter (where doc_date < %s), 0) as opening_quantity,
               coalesce(sum(quantity) filter (where doc_date >= %s and is_in), 0) as in_quantity,
               coalesce(sum(quantity) filter (where doc_date >= %s and not is_in), 0) as out_quantity,
               coalesce(sum(quantity) filter (where doc_date >= %s and doc_type = 'OUT_USE'), 0) as use_quantity,
               coalesce(sum(dose_quantity) filter (where doc_date >= %s and doc_type = 'OUT_USE'), 0)
                   as use_dose_quantity,
               coalesce(min(balance_after), 0) < 0 as has_negative_balance
        from lines
        group by spec_id, batch_id
    ),
    given as (
        select v.vaccine_code, v.manufacturer_code, v.batch_no, count(*) as doses_given
        from staging.stg_ops__vaccination as v
        where not v.is_deleted and v.unit_id = %s
          and v.vaccinated_at >= %s and v.vaccinated_at < %s::date + 1
        group by 1, 2, 3
    )
    select per_batch.*,
           opening_quantity + in_quantity - out_quantity as closing_quantity,
           (opening_quantity + in_quantity - out_quantity) * doses_per_unit as closing_dose_quantity,
           coalesce(given.doses_given, 0) as doses_given,
           use_dose_quantity - coalesce(given.doses_given, 0) as use_minus_given,
           expiry_date < %s as is_expired
    from per_batch
    left join given
        on given.vaccine_code = per_batch.vaccine_code and given.manufacturer_code = per_batch.manufacturer_code
        and given.batch_no = per_batch.batch_no
    where opening_quantity <> 0 or in_quantity <> 0 or out_quantity <> 0
    order by spec_id, batch_no
    """
    rows = _frame(params, sql, [unit_id, date_to, *args, date_from, date_from, date_from, date_from, date_from,
                                unit_id, date_from, date_to, date_to])
    filters = {"单位": _unit_name(params, unit_id), "盘点期间": f"{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}"}
    return StockReport("疫苗盘点数据表", filters, rows)


def query_ledger(params: PgParams, unit_id: str, date_from: date, date_to: date, grant: Grant | None = None,
                 title: str = "出入库账簿") -> StockReport:
    """出入库账簿 / 疫苗出入库登记表: each movement with the balance of its batch after it."""
    where, args = _scope(grant)
    sql = f"""
    select m.doc_date, m.doc_no, m.doc_type, m.doc_type_name, m.vaccine_code, m.vaccine_name,
           m.manufacturer_name, m.spec_name, m.batch_no, m.expiry_date, m.lot_release_no,
           case when m.is_in then m.quantity end as in_quantity,
           case when not m.is_in then m.quantity end as out_quantity,
           m.dose_quantity, m.counterparty_name, m.handler, m.balance_after, m.dose_balance_after,
           m.reason, m.unit_price, m.amount, m.storage_fee, m.shipping_fee
    from {MOVEMENTS} as m
    where m.unit_id = %s and m.doc_date between %s and %s and {where}
    order by m.doc_date, m.is_in desc, m.doc_id, m.line_id
    """
    rows = _frame(params, sql, [unit_id, date_from, date_to, *args])
    filters = {"单位": _unit_name(params, unit_id), "期间": f"{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}"}
    return StockReport(title, filters, rows)


def query_physical_counts(params: PgParams, unit_id: str, count_date: date,
                          grant: Grant | None = None) -> dict[str, int] | None:
    """盘点实盘数 of ``unit_id`` on ``count_date`` (fct_stock_counts): batch_id → counted 支/瓶, batches with a
    book balance that were not found included as 0; None when the unit made no count that day."""
    where, args = _scope(grant)
    sql = f"""
    select m.batch_id, m.counted_quantity from marts.fct_stock_counts as m
    where m.unit_id = %s and m.count_date = %s and {where}
    """
    with connect(params) as conn:
        rows = conn.execute(sql, [unit_id, count_date, *args]).fetchall()
        if not rows:
            counted = conn.execute("select 1 from staging.stg_ops__stock_count where unit_id = %s and count_date = %s "
                                   "limit 1", (unit_id, count_date)).fetchone()
            return {} if counted else None
    return {batch_id: int(quantity) for batch_id, quantity in rows}
