"""Generator extension: vaccine traceability (products, batches, trace codes, stock flows, contracts, plans,
prices, fees, cold-chain equipment).

Stock is consistent with the vaccination records: ``on_child`` accumulates each vaccinating unit's doses
per (vaccine, manufacturer, batch) and day; ``finish`` then builds the flow for each batch — the province
buys it (IN_PURCHASE) shortly after production, each month it moves down the unit tree (city → county →
clinic, OUT_TRANSFER / IN_TRANSFER a few days before the month of use), clinics record OUT_USE per day equal
to the doses given with that batch, and what is left when a batch expires is returned (sometimes) and
scrapped (OUT_SCRAP 过期失效). Rabies (28xx) and haemorrhagic-fever (20xx) vaccines are given to adults and
recorded outside the child register; their use is simulated here directly.

Injected faults (manifest ``sim.injected_fault``): ``stock_negative_balance`` (a clinic receives less than it
uses in its first month of a batch), ``stock_expired_use`` (the batch master's expiry date precedes a use),
``dose_without_stock_movement`` (a dose not deducted from stock), ``bad_trace_code`` (a trace code that
fails the structural check).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter

from vaxdw.schedule import add_months
from vaxdw.simulator import names
from vaxdw.simulator.code_tables import MAKERS, MANUFACTURERS, VACCINE_BY_CODE
from vaxdw.simulator.context import GenContext
from vaxdw.simulator.faults import FaultLog

SPECIAL_CATEGORIES = ("28", "20")  # given to adults, outside the child register
MULTI_DOSE = {"0101": (5, "支"), "0311": (10, "瓶")}  # BCG 5 人份/支, bOPV 10 人份/瓶 (others 1 人份/支)
FLUSH_USES = 50_000  # doses accumulated in memory before they go to the scratch table stock_use
EQUIPMENT_BRANDS = (("海尔", "HYC-310"), ("美菱", "YC-280"), ("澳柯玛", "YC-329"), ("中科美菱", "DW-YL270"))


def spec_id(vaccine_code: str, manufacturer_code: str) -> str:
    return f"{vaccine_code}{manufacturer_code}"


def drug_id_code(vaccine_code: str, manufacturer_code: str) -> str:
    return f"8{vaccine_code}{manufacturer_code}"


def batch_id(spec: str, batch_no: str) -> str:
    return f"{spec}:{batch_no}"


def batch_dates(batch_no: str) -> tuple[date, date]:
    """Production and expiry dates encoded like the vaccination generator's batches (24-month shelf life)."""
    month = date(int(batch_no[:4]), int(batch_no[4:6]), 1)
    return month + timedelta(days=int(batch_no[6:8])), add_months(month, 24) - timedelta(days=1)


@dataclass
class _Flow:
    """Stock movements of one generation, (unit, day, type, counterparty, reason, batch, qty), handed to
    ``write`` (a COPY into the scratch table ``stock_flow``)."""

    write: Callable[[tuple], None]

    def add(self, unit: str, day: date, doc_type: str, batch: str, qty: int, counterparty: str | None = None,
            reason: str | None = None) -> None:
        if qty > 0:
            self.write((unit, day, doc_type, counterparty, reason, batch, qty))


def batch_master(ctx: GenContext, rng: random.Random, faults: FaultLog, vaccine_code: str, maker: str,
                 batch_no: str, lot_seq: int, first_use: date) -> tuple[tuple, list[tuple]]:
    """The vaccine_batch row of a batch (faults: stock_expired_use) and its three trace codes (bad_trace_code)."""
    spec = spec_id(vaccine_code, maker)
    bid = batch_id(spec, batch_no)
    produced, expiry = batch_dates(batch_no)
    recorded_expiry = expiry
    if rng.random() < ctx.fault_rates.get("stock_expired_use", 0.0):
        recorded_expiry = first_use - timedelta(days=rng.randint(1, 30))
        faults.record("stock_expired_use", bid,
                      f"batch master expiry {recorded_expiry} precedes use on {first_use} (true {expiry})")
    batch_row = (bid, spec, batch_no, produced, recorded_expiry, f"SG{produced.year}{lot_seq:06d}",
                 datetime.combine(produced + timedelta(days=10), time(9)))
    trace_rows = []
    trace_rate = ctx.fault_rates.get("bad_trace_code", 0.0)
    for number in range(3):
        code = f"{drug_id_code(vaccine_code, maker)}{batch_no}{lot_seq % 10000:04d}{number:01d}"
        if rng.random() < trace_rate:
            code = rng.choice(("9999999" + code[7:], code + "0", code[:10] + "X" + code[11:]))
            faults.record("bad_trace_code", code, "trace code fails the 20-digit / prefix check")
        scanned = datetime.combine(produced + timedelta(days=3), time(10, number))
        trace_rows.append((code, bid, ctx.world.units.units[0].unit_id, scanned, scanned))
    return batch_row, trace_rows


def doses_per_unit() -> dict[str, int]:
    """人份 per package of each product spec (multi-dose vials count several doses)."""
    return {spec[0]: spec[5] for spec in TraceabilityExtension.specs()}


def emit_stock_docs(events, units, rng: random.Random, emit, first_doc_id: int = 1, first_line_id: int = 1,
                    stamp_of=None) -> tuple[dict[str, int], int, int]:
    """Stock documents and lines from movements (unit, day, doc_type, counterparty, reason, batch, qty).

    One document per (day, unit, type, counterparty, reason), one line per batch. ``stamp_of(day)`` is the
    documents' updated_at (default: 16:30 on the document day). Returns the purchase document of each batch
    and the next free doc and line ids. Used by the daily simulation (one day's movements in memory); the
    generator streams the whole history, sorted by the database, into :func:`emit_sorted_stock_docs`.
    """
    docs: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    for unit_id, day, doc_type, counterparty, reason, bid, qty in events:
        docs[(day, unit_id, doc_type, counterparty or "", reason or "")].append((bid, qty))
    return emit_sorted_stock_docs(((key, sorted(docs[key])) for key in sorted(docs)), units, rng, emit,
                                  first_doc_id, first_line_id, stamp_of)


def emit_sorted_stock_docs(docs: Iterable[tuple[tuple, Iterable[tuple[str, int]]]], units, rng: random.Random, emit,
                           first_doc_id: int = 1, first_line_id: int = 1,
                           stamp_of=None) -> tuple[dict[str, int], int, int]:
    """:func:`emit_stock_docs` from documents already grouped and sorted: ((day, unit, type, counterparty or
    "", reason or ""), its (batch, qty) lines sorted), documents in key order."""
    handlers: dict[str, str] = {}
    per_unit = doses_per_unit()
    makers = dict(MANUFACTURERS)
    doc_of_purchase: dict[str, int] = {}
    line_id = first_line_id - 1
    doc_id = first_doc_id - 1
    for doc_id, (key, lines) in enumerate(docs, start=first_doc_id):
        day, unit_id, doc_type, counterparty, reason = key
        if unit_id not in handlers:
            handlers[unit_id] = names.adult_name(rng, rng.choice("12"))
        stamp = stamp_of(day) if stamp_of else datetime.combine(day, time(16, 30))
        supplier = None
        if counterparty.startswith("M:"):
            supplier, counterparty = makers[counterparty[2:]], ""
        elif counterparty:
            supplier = units[counterparty].unit_name
        emit("stock_doc", (doc_id, f"{doc_type[:2]}{day:%Y%m%d}{doc_id:08d}", doc_type, unit_id, day,
                           counterparty or None, supplier, handlers[unit_id], reason or None, False, stamp))
        for bid, qty in lines:
            line_id += 1
            emit("stock_line", (line_id, doc_id, bid, qty, qty * per_unit[bid.split(":")[0]], stamp))
            if doc_type == "IN_PURCHASE":
                doc_of_purchase[bid] = doc_id
    return doc_of_purchase, doc_id + 1, line_id + 1


class TraceabilityExtension:
    name = "traceability"
    tables = ("vaccine_batch", "trace_code", "stock_doc", "stock_line", "purchase_contract", "contract_delivery",
              "vaccine_plan")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # (unit, vaccine, manufacturer, batch_no) → Counter[day]; in a generation (ctx.scratch set) only the
        # doses since the last flush into the scratch table stock_use (see _flush_uses)
        self.uses: dict[tuple[str, str, str, str], Counter] = defaultdict(Counter)
        self._unflushed = 0
        # doses drawn for dose_without_stock_movement: same key → day → [(vaccination_id, detail)]
        self.undeducted: dict[tuple[str, str, str, str], dict[date, list]] = defaultdict(lambda: defaultdict(list))

    # -- fixed world ------------------------------------------------------------------------------
    @staticmethod
    def specs() -> list[tuple]:
        rows = []
        for vaccine_code, makers in sorted(MAKERS.items()):
            vaccine = VACCINE_BY_CODE[vaccine_code]
            per_unit, package = MULTI_DOSE.get(vaccine_code, (1, "支"))
            volume = 0.1 if per_unit > 1 else 0.5
            for maker in makers:
                spec_name = f"{volume}ml×{per_unit}人份/{package}" if per_unit > 1 else f"{volume}ml/{package}"
                rows.append((spec_id(vaccine_code, maker), vaccine_code, maker, spec_name, volume, per_unit, package,
                             vaccine.is_nip, drug_id_code(vaccine_code, maker), datetime(2019, 12, 1, 9)))
        return rows

    def reference_rows(self, ctx: GenContext) -> dict[str, list[tuple]]:
        self.reset()
        rng = random.Random(f"{ctx.seed}:traceability:reference")
        specs = self.specs()
        prices, price_id = [], 1
        for spec in specs:
            nip = spec[7]
            base = round(rng.uniform(3, 40) if nip else rng.uniform(80, 420), 2)
            if rng.random() < 0.4:
                new = round(base * rng.uniform(0.9, 1.1), 2)
                prices.append((price_id, spec[0], base, date(2020, 1, 1), date(2024, 12, 31), datetime(2020, 1, 1, 9)))
                prices.append((price_id + 1, spec[0], new, date(2025, 1, 1), None, datetime(2024, 12, 20, 9)))
                price_id += 2
            else:
                prices.append((price_id, spec[0], base, date(2020, 1, 1), None, datetime(2020, 1, 1, 9)))
                price_id += 1
        fees, fee_id = [], 1
        for level, storage, shipping in (("prov_cdc", 0.5, 1.0), ("city_cdc", 0.3, 0.8), ("county_cdc", 0.2, 0.5)):
            for fee_type, amount in (("storage", storage), ("shipping", shipping)):
                fees.append((fee_id, fee_type, level, amount, date(2020, 1, 1), date(2024, 12, 31),
                             datetime(2020, 1, 1, 9)))
                fees.append((fee_id + 1, fee_type, level, round(amount * 1.2, 2), date(2025, 1, 1), None,
                             datetime(2024, 12, 20, 9)))
                fee_id += 2
        return {"product_spec": specs, "vaccine_price": prices, "fee_config": fees,
                "cold_chain_equipment": self.equipment(ctx, rng)}

    def equipment(self, ctx: GenContext, rng: random.Random) -> list[tuple]:
        rows = []
        for unit in ctx.world.units.units:
            kinds = ["冰箱"] * rng.randint(1, 3) + ["冷藏箱"] * rng.randint(1, 2)
            if unit.unit_type in ("prov_cdc", "city_cdc"):
                kinds = ["冷库", "冷库", "冷藏车"] + kinds
            elif unit.unit_type == "county_cdc":
                kinds = ["冷库", "冷藏车"] + kinds
            for number, kind in enumerate(kinds, start=1):
                brand, model = EQUIPMENT_BRANDS[rng.randrange(len(EQUIPMENT_BRANDS))]
                bought = date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28))
                volume = {"冷库": rng.choice((20000, 40000)), "冷藏车": 6000, "冰箱": rng.choice((280, 310, 329)),
                          "冷藏箱": rng.choice((25, 40))}[kind]
                roll = rng.random()
                status, scrapped, notes = "在用", None, None
                if roll < 0.06 and bought.year < 2020:
                    status, scrapped = "报废", bought.replace(year=bought.year + 8)
                elif roll < 0.12:
                    status, notes = "维修", f"{bought.year + 3}年压缩机维修"
                if kind == "冷库":
                    brand, model = "澳柯玛", "LK-" + str(volume // 1000)
                elif kind == "冷藏车":
                    brand, model = "福田", "BJ5043XLC"
                rows.append((
                    f"{unit.unit_id}E{number:02d}", unit.unit_id, kind, brand, model, volume, bought,
                    rng.choice(("中央财政", "省级财政", "市县财政", "单位自筹")), bought + timedelta(days=rng.randint(3, 40)),
                    f"{unit.unit_name}{'冷链室' if kind != '冷藏车' else '车库'}", status, scrapped, notes,
                    f"T{unit.unit_id[-8:]}{number:02d}" if kind in ("冷库", "冰箱", "冷藏车") else None,
                    datetime.combine(bought, time(10)),
                ))
        return rows

    # -- per child --------------------------------------------------------------------------------
    def on_child(self, ctx: GenContext, child, doses: list[tuple], rng: random.Random, emit, faults: FaultLog):
        rate = ctx.fault_rates.get("dose_without_stock_movement", 0.0)
        for row in doses:
            vaccination_id, vaccine_code, vaccinated_at, unit_id = row[0], row[2], row[4], row[5]
            manufacturer, batch_no, is_deleted = row[7], row[8], row[16]
            if is_deleted or manufacturer is None or vaccine_code not in MAKERS or unit_id is None:
                continue
            if rng.random() < rate:  # recorded (or deducted after all) in finish: _record_undeducted
                self.undeducted[(unit_id, vaccine_code, manufacturer, batch_no)][vaccinated_at.date()].append(
                    (vaccination_id, f"{unit_id} {vaccine_code}/{manufacturer}/{batch_no} not deducted from stock"))
                continue
            self.uses[(unit_id, vaccine_code, manufacturer, batch_no)][vaccinated_at.date()] += 1
            self._unflushed += 1
        if ctx.scratch is not None and self._unflushed >= FLUSH_USES:
            self._flush_uses(ctx)

    def _flush_uses(self, ctx: GenContext) -> None:
        """Move the accumulated uses into the scratch table stock_use (summed again when read)."""
        writer = ctx.scratch.open_writer("stock_use")
        for (unit_id, vaccine_code, maker, batch_no), days in self.uses.items():
            for day, doses in days.items():
                writer.write((unit_id, vaccine_code, maker, batch_no, day, doses))
        self.uses = defaultdict(Counter)
        self._unflushed = 0

    def _recorded_uses(self, ctx: GenContext) -> dict[tuple, int]:
        """Doses deducted (in stock_use) per ((unit, vaccine, maker, batch_no), day) of the undeducted doses."""
        keys = [(key, day) for key, days in self.undeducted.items() for day in days]
        if not keys:
            return {}
        columns = [[key[i] for key, _ in keys] for i in range(4)] + [[day for _, day in keys]]
        rows = ctx.scratch.rows(
            """select u.unit_id, u.vaccine_code, u.maker, u.batch_no, u.day, sum(u.doses)::int
               from {s}.stock_use u
               join (select distinct * from unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::date[]))
                    as k (unit_id, vaccine_code, maker, batch_no, day)
                 on u.unit_id = k.unit_id collate "C" and u.vaccine_code = k.vaccine_code collate "C"
                    and u.maker = k.maker collate "C" and u.batch_no = k.batch_no collate "C" and u.day = k.day
               group by 1, 2, 3, 4, 5""", columns)
        return {(tuple(row[:4]), row[4]): row[5] for row in rows}

    def _record_undeducted(self, faults: FaultLog, ctx: GenContext | None = None) -> None:
        """The ``dose_without_stock_movement`` faults drawn in ``on_child``, kept where they change the stock.

        A clinic's OUT_USE is recorded in whole vials per day (multi-dose vials: ⌈doses / 人份 per vial⌉). A
        dose left out of its day's deduction changes that record only if the day then needs fewer vials.
        When a vial opened for the day's other doses covers it (BCG 5 人份, bOPV 10 人份, not used up), the
        stock record is exactly that of a correct deduction and nothing in the data could show the fault:
        such doses are deducted as usual and not recorded as faults. (A dose that was its day's only dose
        of the batch leaves the day without OUT_USE: a real fault, which the batch total may hide behind
        other days' open-vial wastage; DOSES_VS_STOCK finds it per session, chk_unit_stock_use.)
        """
        stored = self._recorded_uses(ctx) if ctx is not None and ctx.scratch is not None else None
        for key, days in self.undeducted.items():
            per_unit = MULTI_DOSE.get(key[1], (1, "支"))[0]
            for day, doses in days.items():
                if stored is not None:
                    recorded = stored.get((key, day), 0) + (self.uses[key][day] if key in self.uses else 0)
                else:
                    recorded = self.uses[key][day] if key in self.uses else 0
                if math.ceil((recorded + len(doses)) / per_unit) == math.ceil(recorded / per_unit):
                    self.uses[key][day] += len(doses)
                    continue
                for vaccination_id, detail in doses:
                    faults.record("dose_without_stock_movement", vaccination_id, detail)

    def _adult_uses(self, ctx: GenContext) -> None:
        """Rabies and HFRS doses at a share of clinics, by month, from batches produced 2–10 months earlier."""
        rng = random.Random(f"{ctx.seed}:traceability:adults")
        first_month = add_months(ctx.as_of.replace(day=1), -24)
        for clinic in ctx.world.all_clinics:
            for vaccine_code, share, months in (("2801", 0.3, range(1, 13)), ("2001", 0.25, (3, 4, 5, 10, 11, 12))):
                if vaccine_code == "2001" and clinic[:4] not in ("6101", "6103", "6105"):
                    continue
                if rng.random() >= share:
                    continue
                makers = MAKERS[vaccine_code]
                month = first_month
                while month <= ctx.as_of:
                    if month.month in months:
                        maker = makers[rng.randrange(len(makers))]
                        produced = add_months(month, -rng.randint(2, 10))
                        batch_no = f"{produced:%Y%m}{rng.randint(1, 3):02d}"
                        for _ in range(rng.randint(1, 4)):
                            day = month + timedelta(days=rng.randint(0, 27))
                            if day <= ctx.as_of:
                                self.uses[(clinic, vaccine_code, maker, batch_no)][day] += rng.randint(1, 5)
                    month = add_months(month, 1)

    @staticmethod
    def _by_level(need: dict, depth, deepest: int):
        """Units of ``need`` deepest level first, re-reading ``need`` per level (parents join as we go)."""
        for level in range(deepest, 0, -1):
            yield from sorted(u for u in list(need) if depth(u) == level)

    # -- the flows --------------------------------------------------------------------------------
    def finish(self, ctx: GenContext, emit, faults: FaultLog) -> None:
        """The flows of every batch, in memory one batch at a time: the uses come back from the scratch table
        stock_use batch by batch, the movements go to stock_flow and come back sorted into documents."""
        scratch = ctx.scratch
        self._flush_uses(ctx)
        scratch.commit("stock_use")
        self._record_undeducted(faults, ctx)
        self._adult_uses(ctx)
        self._flush_uses(ctx)
        scratch.commit("stock_use")
        rng = random.Random(f"{ctx.seed}:traceability:flows")
        units = ctx.world.units.by_id()
        depth_cache: dict[str, int] = {}

        def depth(unit_id: str) -> int:
            if unit_id not in depth_cache:
                parent = units[unit_id].parent_unit_id
                depth_cache[unit_id] = 0 if parent is None else depth(parent) + 1
            return depth_cache[unit_id]

        flow = _Flow(scratch.open_writer("stock_flow").write)
        purchases: list[tuple[str, date, int]] = []  # (batch, day, qty)
        lot_seq = 0
        for (vaccine_code, maker, batch_no), unit_days in self._uses_by_batch(ctx, units):
            spec = spec_id(vaccine_code, maker)
            bid = batch_id(spec, batch_no)
            produced, expiry = batch_dates(batch_no)
            per_unit = MULTI_DOSE.get(vaccine_code, (1, "支"))[0]
            first_use = min(day for days in unit_days.values() for day in days)
            lot_seq += 1
            batch_row, codes = batch_master(ctx, rng, faults, vaccine_code, maker, batch_no, lot_seq, first_use)
            emit("vaccine_batch", batch_row)
            for row in codes:
                emit("trace_code", row)

            # Vials needed per leaf unit and month (multi-dose vials: opened per day).
            leaf_need: dict[str, Counter] = {}
            use_events: list[tuple[str, date, int, int]] = []
            for unit_id, days in unit_days.items():
                monthly: Counter = Counter()
                for day, doses in days.items():
                    vials = math.ceil(doses / per_unit)
                    monthly[day.replace(day=1)] += vials
                    use_events.append((unit_id, day, vials, doses))
                leaf_need[unit_id] = monthly
            received: dict[str, Counter] = defaultdict(Counter)  # unit → month → vials received
            activity: dict[str, date] = {}
            for unit_id, day, vials, _ in use_events:
                flow.add(unit_id, day, "OUT_USE", bid, vials)
                activity[unit_id] = max(activity.get(unit_id, day), day)
            # Leaves first, then their parents: what a unit receives = what it passes on + uses + surplus.
            need: dict[str, Counter] = defaultdict(Counter)
            for unit_id, monthly in leaf_need.items():
                need[unit_id].update(monthly)
            deepest = max(depth(u) for u in need)
            for unit_id in self._by_level(need, depth, deepest):
                parent = units[unit_id].parent_unit_id
                first_month = min(need[unit_id])
                for month in sorted(need[unit_id]):
                    qty = need[unit_id][month] + (rng.randint(1, 3) if rng.random() < 0.3 else 0)
                    is_leaf = unit_id in leaf_need
                    if (is_leaf and month == first_month and need[unit_id][month] > 0
                            and rng.random() < ctx.fault_rates.get("stock_negative_balance", 0.0)):
                        short = rng.randint(1, need[unit_id][month])
                        qty = need[unit_id][month] - short
                        faults.record("stock_negative_balance", f"{unit_id}:{bid}",
                                      f"received {short} fewer than used in {month:%Y-%m}")
                    day = month - timedelta(days=9 - 2 * depth(unit_id))
                    flow.add(unit_id, day, "IN_TRANSFER", bid, qty, counterparty=parent)
                    flow.add(parent, day, "OUT_TRANSFER", bid, qty, counterparty=unit_id)
                    received[unit_id][month] += qty
                    need[parent][month] += qty
                    activity[unit_id] = max(activity.get(unit_id, day), day)
                    activity[parent] = max(activity.get(parent, day), day)
            root = next(u for u in need if depth(u) == 0)
            total = sum(need[root].values()) + rng.randint(0, 10)
            buy_day = produced + timedelta(days=3)
            flow.add(root, buy_day, "IN_PURCHASE", bid, total, counterparty=f"M:{maker}")
            if total > 0:
                purchases.append((bid, buy_day, total))
            received[root][buy_day.replace(day=1)] += total

            # Expired leftovers: returned up (sometimes) then scrapped, deepest units first.
            scrap_day = expiry + timedelta(days=1)
            if scrap_day <= ctx.as_of:
                returned: Counter = Counter()
                for unit_id in sorted(received, key=lambda u: (-depth(u), u)):
                    passed_on = sum(need[unit_id].values()) - sum(leaf_need.get(unit_id, Counter()).values())
                    used = sum(leaf_need.get(unit_id, Counter()).values())
                    left = sum(received[unit_id].values()) + returned[unit_id] - passed_on - used
                    if left <= 0:
                        continue
                    parent = units[unit_id].parent_unit_id
                    back_day = max(activity.get(unit_id, produced) + timedelta(days=1), expiry - timedelta(days=20))
                    if parent is not None and rng.random() < 0.2 and back_day <= expiry:
                        flow.add(unit_id, back_day, "OUT_RETURN", bid, left, counterparty=parent, reason="近效期退回")
                        flow.add(parent, back_day, "IN_RETURN", bid, left, counterparty=unit_id, reason="近效期退回")
                        returned[parent] += left
                    else:
                        flow.add(unit_id, scrap_day, "OUT_SCRAP", bid, left, reason="过期失效")

        scratch.commit("stock_flow")
        doc_of_purchase = self._emit_docs(ctx, units, emit)
        self._emit_contracts(ctx, purchases, doc_of_purchase, emit)
        self._emit_plans(ctx, units, emit)
        self.reset()

    @staticmethod
    def _uses_by_batch(ctx: GenContext, units) -> Iterator[tuple[tuple[str, str, str], dict[str, Counter]]]:
        """((vaccine, maker, batch_no), unit → Counter[day → doses]) in batch order, units of the world only."""
        rows = ctx.scratch.rows(
            """select vaccine_code, maker, batch_no, unit_id, day, sum(doses)::int from {s}.stock_use
               group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5""")
        for key, group in groupby(rows, key=itemgetter(0, 1, 2)):
            unit_days: dict[str, Counter] = {}
            for _, _, _, unit_id, day, doses in group:
                if unit_id in units:
                    unit_days.setdefault(unit_id, Counter())[day] = doses
            if unit_days:
                yield key, unit_days

    def _emit_docs(self, ctx: GenContext, units, emit) -> dict[str, int]:
        rng = random.Random(f"{ctx.seed}:traceability:docs")
        rows = ctx.scratch.rows(
            """select day, unit_id, doc_type, coalesce(counterparty, ''), coalesce(reason, ''), batch_id, qty
               from {s}.stock_flow order by 1, 2, 3, 4, 5, 6, 7""")
        docs = ((key, [line[5:] for line in lines]) for key, lines in groupby(rows, key=itemgetter(0, 1, 2, 3, 4)))
        return emit_sorted_stock_docs(docs, units, rng, emit)[0]

    def _emit_contracts(self, ctx: GenContext, purchases, doc_of_purchase, emit) -> None:
        rng = random.Random(f"{ctx.seed}:traceability:contracts")
        by_contract: dict[tuple[int, str], list[tuple[str, date, int]]] = defaultdict(list)
        for bid, day, qty in purchases:
            by_contract[(day.year, bid.split(":")[0])].append((bid, day, qty))
        delivery_id = 0
        for contract_id, ((year, spec), rows) in enumerate(sorted(by_contract.items()), start=1):
            delivered = sum(qty for _, _, qty in rows)
            roll = rng.random()
            factor = rng.uniform(1.3, 1.6) if roll < 0.15 else rng.uniform(1.0, 1.05) if roll < 0.3 else 1.0
            if year == ctx.as_of.year:
                factor = max(factor, 1.2)  # this year's contracts are still being delivered
            contracted = math.ceil(delivered * factor)
            signed = date(year, 1, 10)
            emit("purchase_contract", (contract_id, f"SXCG{year}-{contract_id:05d}", year, spec, contracted, None,
                                       signed, date(year, 12, 31), datetime.combine(signed, time(9))))
            for bid, day, qty in rows:
                delivery_id += 1
                emit("contract_delivery", (delivery_id, contract_id, doc_of_purchase[bid], qty, day,
                                           datetime.combine(day, time(17))))

    def _emit_plans(self, ctx: GenContext, units, emit) -> None:
        """Monthly plans of vaccinating units, quarterly of county CDCs, annual of city CDCs (人份)."""
        rng = random.Random(f"{ctx.seed}:traceability:plans")
        monthly = ctx.scratch.rows(
            """select unit_id, vaccine_code, date_trunc('month', day)::date, sum(doses)::int from {s}.stock_use
               group by 1, 2, 3 order by 1, 2, 3""")
        plan_id = 0
        last_month = add_months(ctx.as_of.replace(day=1), 1)
        summary: dict[tuple[str, str, str, date], int] = defaultdict(int)
        for unit_id, vaccine_code, month, doses in monthly:
            if month < add_months(ctx.as_of.replace(day=1), -23) or month > last_month:
                continue
            unit = units.get(unit_id)
            if unit is None or unit.parent_unit_id is None:
                continue
            planned = max(1, round(doses * rng.uniform(0.9, 1.3)))
            adjusted, reason = None, None
            if rng.random() < 0.2:
                adjusted, reason = max(0, round(planned * rng.uniform(0.7, 1.1))), "按上月实际使用量调整"
            submitted = datetime.combine(add_months(month, -1).replace(day=20), time(10))
            status = "issued" if month <= ctx.as_of.replace(day=1) else "approved" if adjusted else "submitted"
            plan_id += 1
            emit("vaccine_plan", (plan_id, unit_id, unit.parent_unit_id, "month", month, vaccine_code,
                                  VACCINE_BY_CODE[vaccine_code].is_nip, planned, adjusted, reason, status, submitted,
                                  submitted))
            quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
            summary[(unit.parent_unit_id, vaccine_code, "quarter", quarter)] += adjusted if adjusted is not None \
                else planned
        for (county, vaccine_code, _, quarter), quantity in sorted(summary.items()):
            parent = units[county].parent_unit_id
            if parent is None:
                continue
            plan_id += 1
            submitted = datetime.combine(add_months(quarter, -1).replace(day=15), time(10))
            emit("vaccine_plan", (plan_id, county, parent, "quarter", quarter, vaccine_code,
                                  VACCINE_BY_CODE[vaccine_code].is_nip, quantity, None, None,
                                  "issued" if quarter <= ctx.as_of else "submitted", submitted, submitted))


EXTENSION = TraceabilityExtension()
