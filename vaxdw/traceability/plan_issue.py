"""计划下发: turn a parent unit's approved plan summary into planned outbound documents, batches matched FEFO.

``issue_plans(warehouse, unit_id, period, user, ship_date=None, dry_run=False, replace=False)``:

1. Plans: the children's plans of ``unit_id`` for the period (``marts.rpt_vaccine_plans``; the lines of
   ``marts.rpt_plan_summary``), approved quantity = adjusted where the parent adjusted, else planned (人份).
   Plans whose status is in ``statuses`` take part (default: every status — the summary is what the
   parent approves; pass ``("approved",)`` to issue only plans approved in the source system).
2. Stock: the parent's balance per batch on the ship date from ``marts.fct_stock_movements`` (movements
   dated on or before it; a negative balance counts as 0). Other periods' planned documents do not reserve
   stock (they are not movements yet).
3. Allocation: per vaccine, the children's requests in 支/瓶 (人份 ÷ 人份 per 支, rounded up) are allocated
   with :func:`vaxdw.traceability.fefo.allocate_many` in child unit-code order from one shared stock:
   earliest expiry first, never an expired batch (expiry before the ship date + ``min_remaining_days``),
   never more than a batch has. What cannot be covered is a shortfall.
4. Write (unless ``dry_run``): one ``plan.issue_run`` row, one OUT_TRANSFER ``plan.issued_document`` per
   child, its ``plan.issued_line`` rows (price in force on the ship date, storage/shipping fee on non-NIP
   lines from the fee configuration of the parent's level) and the ``plan.shortfall`` rows, plus the audit
   row (``audit.export_log``, action ``export_detail``, report 计划下发) — all in ONE transaction.

Re-running the same (unit, period) is refused with a Chinese message unless ``replace=True``, which deletes
the earlier run and writes the new one in the same transaction; the result is the same for the same data.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from vaxdw.access import ExportScope, authorize, log_export
from vaxdw.access.audit import AUDIT_DDL
from vaxdw.access.authorize import AccessDenied
from vaxdw.db import PgParams, connect
from vaxdw.traceability.fefo import Allocation, BatchStock, allocate_many

REPORT = "计划下发"
ACTION = "export_detail"
PERIOD_TYPE_NAMES = {"month": "月度", "quarter": "季度", "year": "年度"}

DDL = """
create schema if not exists plan;
create table if not exists plan.issue_run (
    issue_id bigint generated always as identity primary key,
    unit_id text not null,
    period_type text not null check (period_type in ('month', 'quarter', 'year')),
    period_start date not null,
    ship_date date not null,
    issued_by text not null,
    issued_at timestamptz not null default now(),
    requested_quantity integer not null,
    allocated_quantity integer not null,
    shortfall_quantity integer not null,
    unique (unit_id, period_type, period_start)
);
create table if not exists plan.issued_document (
    document_id bigint generated always as identity primary key,
    issue_id bigint not null references plan.issue_run (issue_id) on delete cascade,
    doc_no text not null unique,
    doc_type text not null default 'OUT_TRANSFER',
    unit_id text not null,
    to_unit_id text not null,
    ship_date date not null,
    line_count integer not null,
    quantity integer not null,
    dose_quantity integer not null
);
create table if not exists plan.issued_line (
    line_id bigint generated always as identity primary key,
    document_id bigint not null references plan.issued_document (document_id) on delete cascade,
    plan_id bigint not null,
    vaccine_code text not null,
    is_nip boolean not null,
    spec_id text not null,
    batch_id text not null,
    batch_no text not null,
    expiry_date date not null,
    quantity integer not null check (quantity > 0),
    dose_quantity integer not null,
    unit_price numeric(10, 2),
    amount numeric(14, 2),
    storage_fee numeric(12, 2),
    shipping_fee numeric(12, 2)
);
create table if not exists plan.shortfall (
    shortfall_id bigint generated always as identity primary key,
    issue_id bigint not null references plan.issue_run (issue_id) on delete cascade,
    to_unit_id text not null,
    plan_id bigint not null,
    vaccine_code text not null,
    requested_quantity integer not null,
    allocated_quantity integer not null,
    shortfall_quantity integer not null,
    requested_dose_quantity integer not null,
    skipped_expired_batches text
);
"""


class PlanIssueError(ValueError):
    """The plans cannot be issued; the message says why (Chinese, for the CDC's stock keeper)."""


@dataclass(frozen=True)
class Period:
    period_type: str
    start: date

    @property
    def label(self) -> str:
        if self.period_type == "month":
            return f"{self.start:%Y年%m月}"
        if self.period_type == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    @property
    def code(self) -> str:
        if self.period_type == "month":
            return f"{self.start:%Y%m}"
        if self.period_type == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"


def parse_period(text: str) -> Period:
    """``2026-12`` (month), ``2026Q4`` / ``2026-Q4`` (quarter), ``2026`` (year)."""
    value = text.strip().upper()
    if match := re.fullmatch(r"(\d{4})-?(\d{2})", value):
        month = int(match[2])
        if 1 <= month <= 12:
            return Period("month", date(int(match[1]), month, 1))
    if match := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        return Period("quarter", date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1))
    if re.fullmatch(r"\d{4}", value):
        return Period("year", date(int(value), 1, 1))
    raise PlanIssueError(f"计划周期“{text}”无效：月度写 2026-12，季度写 2026Q4，年度写 2026。")


@dataclass(frozen=True)
class ChildPlan:
    plan_id: int
    child_unit_id: str
    vaccine_code: str
    is_nip: bool
    approved_doses: int
    doses_per_unit: int

    @property
    def requested_units(self) -> int:
        return math.ceil(self.approved_doses / self.doses_per_unit)


@dataclass(frozen=True)
class IssuedLine:
    plan_id: int
    child_unit_id: str
    vaccine_code: str
    is_nip: bool
    spec_id: str
    batch_id: str
    batch_no: str
    expiry_date: date
    quantity: int
    dose_quantity: int


@dataclass(frozen=True)
class Shortfall:
    plan_id: int
    child_unit_id: str
    vaccine_code: str
    requested: int
    allocated: int
    requested_doses: int
    skipped_expired: tuple[str, ...]

    @property
    def shortfall(self) -> int:
        return self.requested - self.allocated


@dataclass
class IssueResult:
    unit_id: str
    period: Period
    ship_date: date
    dry_run: bool
    plans: list[ChildPlan] = field(default_factory=list)
    lines: list[IssuedLine] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    issue_id: int | None = None
    replaced: bool = False

    @property
    def requested(self) -> int:
        return sum(plan.requested_units for plan in self.plans)

    @property
    def allocated(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def documents(self) -> list[str]:
        return sorted({line.child_unit_id for line in self.lines})

    def as_text(self, limit: int = 30) -> str:
        head = "试算（未写入）" if self.dry_run else f"已下发（issue_id {self.issue_id}{'，已替换原下发' if self.replaced else ''}）"
        lines = [
            f"计划下发 {head}：单位 {self.unit_id}  周期 {self.period.label}  发货日期 {self.ship_date:%Y-%m-%d}",
            f"  计划 {len(self.plans)} 条  出库单 {len(self.documents)} 张  明细 {len(self.lines)} 行  "
            f"需求 {self.requested} 支/瓶  已分配 {self.allocated}  缺口 {self.requested - self.allocated}",
        ]
        if self.shortfalls:
            lines.append(f"  库存不足 {len(self.shortfalls)} 条：")
            for item in self.shortfalls[:limit]:
                lines.append(f"    下级单位 {item.child_unit_id}  疫苗 {item.vaccine_code}  计划 {item.plan_id}  "
                             f"需求 {item.requested}  已分配 {item.allocated}  缺 {item.shortfall} 支/瓶")
            if len(self.shortfalls) > limit:
                lines.append(f"    …… 另有 {len(self.shortfalls) - limit} 条（见 plan.shortfall）")
        return "\n".join(lines)


def ensure_schema(params: PgParams) -> None:
    with connect(params) as conn:
        conn.execute(DDL)


def _unit(conn, unit_id: str) -> tuple[str, str, str]:
    row = conn.execute("select unit_name, unit_type, region_code from marts.dim_unit as u "
                       "cross join lateral (select coalesce(u.township_code, u.county_code, u.city_code, "
                       "u.province_code) as region_code) as r where unit_id = %s", (unit_id,)).fetchone()
    if row is None:
        raise PlanIssueError(f"单位编码 {unit_id} 不存在。")
    return row


def load_plans(conn, unit_id: str, period: Period, statuses: tuple[str, ...] | None) -> list[ChildPlan]:
    rows = conn.execute(
        """
        select p.plan_id, p.unit_id, p.vaccine_code, p.is_nip, p.approved_quantity,
               (select array_agg(distinct s.doses_per_unit) from staging.stg_ops__product_spec as s
                where s.vaccine_code = p.vaccine_code) as doses_per_unit
        from marts.rpt_vaccine_plans as p
        where p.parent_unit_id = %s and p.period_type = %s and p.period_start = %s
          and (%s::text[] is null or p.status = any(%s::text[]))
        order by p.vaccine_code, p.unit_id, p.plan_id
        """, (unit_id, period.period_type, period.start, statuses and list(statuses),
              statuses and list(statuses))).fetchall()
    plans = []
    for plan_id, child, vaccine_code, is_nip, approved, per_unit in rows:
        if not per_unit:
            raise PlanIssueError(f"疫苗 {vaccine_code} 没有品规，无法按支/瓶下发（计划 {plan_id}）。")
        if len(per_unit) > 1:
            raise PlanIssueError(f"疫苗 {vaccine_code} 的各品规每支/瓶人份数不同（{per_unit}），"
                                 "无法把人份计划换算成支/瓶；请按品规上报计划。")
        if approved and approved > 0:
            plans.append(ChildPlan(plan_id, child, vaccine_code, bool(is_nip), int(approved), int(per_unit[0])))
    return plans


def load_stock(conn, unit_id: str, ship_date: date, vaccine_codes: list[str]) -> dict[str, list[tuple]]:
    """Balance per batch of ``unit_id`` on ``ship_date``: vaccine → [(BatchStock, spec_id, doses/支)]."""
    rows = conn.execute(
        """
        select vaccine_code, batch_id, max(batch_no), max(expiry_date), max(spec_id), max(doses_per_unit),
               sum(signed_quantity)::int
        from marts.fct_stock_movements
        where unit_id = %s and doc_date <= %s and vaccine_code = any(%s)
        group by vaccine_code, batch_id
        order by vaccine_code, batch_id
        """, (unit_id, ship_date, vaccine_codes)).fetchall()
    stock: dict[str, list[tuple]] = defaultdict(list)
    for vaccine_code, batch_id, batch_no, expiry, spec, per_unit, balance in rows:
        stock[vaccine_code].append((BatchStock(batch_id, batch_no, expiry, max(balance, 0)), spec, per_unit))
    return stock


def allocate(plans: list[ChildPlan], stock: dict[str, list[tuple]], ship_date: date,
             min_remaining_days: int = 0) -> tuple[list[IssuedLine], list[Shortfall]]:
    """FEFO per vaccine, children in unit-code order, one shared stock per vaccine."""
    lines: list[IssuedLine] = []
    shortfalls: list[Shortfall] = []
    by_vaccine: dict[str, list[ChildPlan]] = defaultdict(list)
    for plan in plans:
        by_vaccine[plan.vaccine_code].append(plan)
    for vaccine_code in sorted(by_vaccine):
        ordered = sorted(by_vaccine[vaccine_code], key=lambda p: (p.child_unit_id, p.plan_id))
        batches = stock.get(vaccine_code, [])
        spec_of = {batch.batch_id: (spec, per_unit) for batch, spec, per_unit in batches}
        result: dict[str, Allocation] = allocate_many(
            [(str(plan.plan_id), plan.requested_units) for plan in ordered],
            [batch for batch, _, _ in batches], ship_date, min_remaining_days)
        for plan in ordered:
            allocation = result[str(plan.plan_id)]
            for line in allocation.lines:
                spec, per_unit = spec_of[line.batch_id]
                lines.append(IssuedLine(plan.plan_id, plan.child_unit_id, vaccine_code, plan.is_nip, spec,
                                        line.batch_id, line.batch_no, line.expiry_date, line.quantity,
                                        line.quantity * per_unit))
            if allocation.shortfall:
                shortfalls.append(Shortfall(plan.plan_id, plan.child_unit_id, vaccine_code, allocation.requested,
                                            allocation.allocated, plan.approved_doses,
                                            tuple(allocation.skipped_expired)))
    return lines, shortfalls


_LINE_PRICE_SQL = """
select
    (select p.unit_price from marts.dim_vaccine_price as p
     where p.spec_id = %(spec)s and %(day)s >= p.effective_from
       and (p.effective_to is null or %(day)s <= p.effective_to)
     order by p.effective_from desc limit 1),
    (select f.fee_per_dose from staging.stg_ops__fee_config as f
     where f.fee_type = 'storage' and f.unit_level = %(level)s and %(day)s >= f.effective_from
       and (f.effective_to is null or %(day)s <= f.effective_to)
     order by f.effective_from desc limit 1),
    (select f.fee_per_dose from staging.stg_ops__fee_config as f
     where f.fee_type = 'shipping' and f.unit_level = %(level)s and %(day)s >= f.effective_from
       and (f.effective_to is null or %(day)s <= f.effective_to)
     order by f.effective_from desc limit 1)
"""


def _write(conn, result: IssueResult, user: str, unit_type: str) -> int:
    period = result.period
    run = conn.execute(
        "insert into plan.issue_run (unit_id, period_type, period_start, ship_date, issued_by, requested_quantity, "
        "allocated_quantity, shortfall_quantity) values (%s, %s, %s, %s, %s, %s, %s, %s) returning issue_id",
        (result.unit_id, period.period_type, period.start, result.ship_date, user, result.requested,
         result.allocated, result.requested - result.allocated)).fetchone()[0]
    by_child: dict[str, list[IssuedLine]] = defaultdict(list)
    for line in result.lines:
        by_child[line.child_unit_id].append(line)
    prices: dict[str, tuple] = {}
    for seq, child in enumerate(sorted(by_child), start=1):
        child_lines = by_child[child]
        doc_no = f"JH{period.code}-{result.unit_id}-{seq:04d}"
        document_id = conn.execute(
            "insert into plan.issued_document (issue_id, doc_no, unit_id, to_unit_id, ship_date, line_count, "
            "quantity, dose_quantity) values (%s, %s, %s, %s, %s, %s, %s, %s) returning document_id",
            (run, doc_no, result.unit_id, child, result.ship_date, len(child_lines),
             sum(line.quantity for line in child_lines), sum(line.dose_quantity for line in child_lines)),
        ).fetchone()[0]
        for line in child_lines:
            if line.spec_id not in prices:
                prices[line.spec_id] = conn.execute(
                    _LINE_PRICE_SQL, {"spec": line.spec_id, "day": result.ship_date, "level": unit_type}).fetchone()
            price, storage, shipping = prices[line.spec_id]
            amount = price * line.quantity if price is not None else None
            fees = [None, None] if line.is_nip else [
                fee * line.dose_quantity if fee is not None else None for fee in (storage, shipping)]
            conn.execute(
                "insert into plan.issued_line (document_id, plan_id, vaccine_code, is_nip, spec_id, batch_id, "
                "batch_no, expiry_date, quantity, dose_quantity, unit_price, amount, storage_fee, shipping_fee) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (document_id, line.plan_id, line.vaccine_code, line.is_nip, line.spec_id, line.batch_id,
                 line.batch_no, line.expiry_date, line.quantity, line.dose_quantity, price, amount, *fees))
    for item in result.shortfalls:
        conn.execute(
            "insert into plan.shortfall (issue_id, to_unit_id, plan_id, vaccine_code, requested_quantity, "
            "allocated_quantity, shortfall_quantity, requested_dose_quantity, skipped_expired_batches) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (run, item.child_unit_id, item.plan_id, item.vaccine_code, item.requested, item.allocated,
             item.shortfall, item.requested_doses, ",".join(item.skipped_expired) or None))
    return run



def issue_plans(warehouse: PgParams, unit_id: str, period: Period | str, user: str, ship_date: date | None = None,
                dry_run: bool = False, replace: bool = False, statuses: tuple[str, ...] | None = None,
                min_remaining_days: int = 0) -> IssueResult:
    """Allocate and (unless ``dry_run``) write the planned outbound documents of ``unit_id`` for ``period``.

    The user must hold ``export_detail`` over the unit's region and every planned vaccine; a refusal is
    logged to ``audit.export_log`` and raised as :class:`AccessDenied`.
    """
    period = parse_period(period) if isinstance(period, str) else period
    ship_date = ship_date or period.start
    filters = {"unit_id": unit_id, "period": period.code, "ship_date": ship_date, "dry_run": dry_run,
               "replace": replace}
    result = IssueResult(unit_id, period, ship_date, dry_run)
    denied: AccessDenied | None = None
    with connect(warehouse) as conn:
        _, unit_type, region_code = _unit(conn, unit_id)
        conn.execute(DDL)
        conn.execute(AUDIT_DDL)
        conn.commit()
        # one transaction from here: lock the (unit, period), read, allocate, write, audit
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"plan:{unit_id}:{period.code}",))
        result.plans = load_plans(conn, unit_id, period, statuses)
        if not result.plans:
            raise PlanIssueError(f"{unit_id} 在 {period.label}（{PERIOD_TYPE_NAMES[period.period_type]}）"
                                 "没有可下发的下级计划。")
        vaccines = sorted({plan.vaccine_code for plan in result.plans})
        try:
            authorize(user, ACTION, ExportScope.of(regions=[region_code], vaccines=vaccines))
        except AccessDenied as exc:
            denied = exc
        if denied is None:
            stock = load_stock(conn, unit_id, ship_date, vaccines)
            result.lines, result.shortfalls = allocate(result.plans, stock, ship_date, min_remaining_days)
            if not dry_run:
                _replace_earlier(conn, result, replace)
                result.issue_id = _write(conn, result, user, unit_type)
                conn.execute(
                    "insert into audit.export_log (user_name, report, action, filters, row_count, is_allowed) "
                    "values (%s, %s, %s, %s, %s, true)",
                    (user, REPORT, ACTION, json.dumps({**filters, "issue_id": result.issue_id}, ensure_ascii=False,
                                                      default=str), len(result.lines)))
                conn.commit()
        conn.rollback()
    if denied is not None:
        log_export(warehouse, user, REPORT, ACTION, filters, None, False, str(denied))
        raise denied
    return result


def _replace_earlier(conn, result: IssueResult, replace: bool) -> None:
    period = result.period
    earlier = conn.execute(
        "select issue_id, issued_by, issued_at from plan.issue_run "
        "where unit_id = %s and period_type = %s and period_start = %s",
        (result.unit_id, period.period_type, period.start)).fetchone()
    if earlier is None:
        return
    if not replace:
        raise PlanIssueError(
            f"{result.unit_id} 的 {period.label} 计划已于 {earlier[2]:%Y-%m-%d %H:%M} 由 {earlier[1]} 下发"
            f"（issue_id {earlier[0]}），未重复下发；如需按当前库存重新下发请加 --replace。")
    conn.execute("delete from plan.issue_run where issue_id = %s", (earlier[0],))
    result.replaced = True
