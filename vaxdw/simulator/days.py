"""``simulate_days``: the operational system goes on, day by day, after a generation.

Each simulated day D (the generation's ``as_of`` + 1, + 2, …) writes, in one source transaction, rows
whose ``created_at``/``updated_at`` fall inside D (naive local time, like the rest of the source), so the
next incremental load reads exactly that day:

- births: recipients (``make_child(newborn=True)``), their 产科 newborn record, birth doses (HepB1 within
  24 h, BCG) at the birth hospital, the 建档 register change and the visit rows of the birth doses;
- the day's doses for children already in the register: every child's next dose of each schedule category
  is due at its minimum age (or the minimum interval after the previous dose); from the due date on it is
  given with a daily hazard (ON_TIME_HAZARD for 30 days, LATE_HAZARD up to LATE_HORIZON_DAYS, then never;
  a fixed share per dose is missed altogether, as in the generator); BACK_ENTRY_SHARE of them were given
  1–10 days earlier and are entered today (补录: entered_at after vaccinated_at, created/updated today);
  visits, e-signatures, observations and evaluations for the doses given today;
- edits of old records: doses of the last two years corrected (batch, manufacturer, dose number, site),
  recipients' missing ID numbers filled and old township codes fixed, each with its operation_log row;
- soft deletes (``is_deleted``, updated_at moved) of doses and recipients (status 5, with a register change);
- register changes and moves: 迁入 between clinics (accepted migration, from-unit 2 / to-unit 10), 迁出 2,
  入托 7 / 入学 6, 临时外转 3, 死亡 4, each through ``register_changes.change_row``;
- now and then a township merge (``township_change``, the old township's region row closed, its clinic
  closed and its children handed to the successor's clinic, 单位撤并转管);
- stock: OUT_USE documents matching the day's doses (per unit, day and batch, whole vials), inbound
  transfers down the unit tree (and a purchase at the province) when a unit's book balance would not cover
  the day, new batches' master rows and trace codes, and the stocktake counts at month / quarter ends;
- the generator's faults at the generator's rates (recipient, dose, visit, newborn, register, batch,
  trace-code, stock and SQL-level faults), appended to the manifest ``sim.injected_fault``.

Rates (per day, from the generated children count C; DOMAIN.md §5: ≈ 290k births a year and ≈ 2.0M
children aged 0–6 in Shaanxi):

- births: C × 290,000 / 2,000,000 / 365 (province ≈ 795);
- doses: not drawn, they follow from who is due. The schedule (dbt seed ref_schedule_dose) has 22 NIP
  doses per child by age 7 (DOMAIN.md §5 speaks of ≈ 35), so a day has ≈ C × 22 / 7 / 365 doses
  (province ≈ 17,000; measured 84 at small scale, where this gives 86);
- dose corrections 0.6 %, recipient fixes 0.3 %, dose soft deletes 0.1 % of the expected doses;
- recipient soft deletes C × 0.000005 (province ≈ 10); register changes and moves C × 3 % / 365 (≈ 165);
- a township merge with probability 1/120 per day (about three a year, like the 2010–2023 history);
- every count is a Poisson draw with a mean of at least 1, so each kind of change still happens about
  once a day at the small test scales.

Deterministic per (seed, day): every random stream of day D is ``random.Random(f"{seed}:{D}:{stream}")``
and everything else is read from the source database at the start of the day, so ``simulate_days(3)``
and three runs of ``simulate_days(1)`` write the same rows. Each day moves ``sim.generation_run.as_of``
on and is recorded in ``sim.simulated_day``, so a day cannot be simulated twice.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time as clock
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from vaxdw import contract, idcard
from vaxdw.db import PgParams, connect
from vaxdw.schedule import add_months, schedules
from vaxdw.simulator import (
    names,
    newborns,
    quality_faults,
    register_changes,
    stock_counts,
    traceability,
    visits,
)
from vaxdw.simulator.code_tables import MAKERS
from vaxdw.simulator.context import GenContext, World, county_code_on
from vaxdw.simulator.copy_writer import CopyWriter
from vaxdw.simulator.event_code_tables import MIGRATION_REASONS
from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.faults import MANIFEST_COLUMNS, MANIFEST_SCHEMA, MANIFEST_TABLE, FaultLog, resolve_rates
from vaxdw.simulator.migrations import registrars
from vaxdw.simulator.recipients import LOCAL_SEQ_LIMIT, Child, IdAllocator, make_child
from vaxdw.simulator.vaccinations import BOOSTERS, DoseWriter, _batch, _clinic_time, _product, child_doses

log = logging.getLogger(__name__)

BIRTHS_PER_CHILD = 290_000 / 2_000_000 / 365
SCHEDULE_DOSES_PER_CHILD = 22  # NIP doses per child in ref_schedule_dose (2021 and 2025 versions)
DOSES_PER_CHILD = SCHEDULE_DOSES_PER_CHILD / 7 / 365
DOSE_CORRECTION_SHARE = 0.006
RECIPIENT_FIX_SHARE = 0.003
DOSE_DELETE_SHARE = 0.001
RECIPIENT_DELETES_PER_CHILD = 0.000005
REGISTER_MOVES_PER_CHILD = 0.03 / 365
TOWNSHIP_MERGE_PROBABILITY = 1 / 120

ON_TIME_HAZARD = 0.09  # per day, the first 30 days after the due date (≈ 94 % given within a month)
LATE_HAZARD = 0.01  # per day, day 31 … LATE_HORIZON_DAYS
LATE_HORIZON_DAYS = 180
BACK_ENTRY_SHARE = 0.06
EDIT_WINDOW_DAYS = 730
SITE_SWAP = {"1": "2", "2": "1", "4": "5", "5": "4", "7": "8", "8": "7"}
MOVE_KINDS = (("transfer_in", 0.40), ("transfer_out", 0.30), ("school", 0.25), ("temporary_away", 0.04),
              ("death", 0.01))
MIGRATION_REASON_CODES = tuple(MIGRATION_REASONS)
DAY_DDL = f"""
create table if not exists {MANIFEST_SCHEMA}.simulated_day (
    day date primary key,
    seed bigint not null,
    rows_inserted jsonb not null,
    rows_updated jsonb not null
)
"""
# Tables whose rows the day writes with ids continuing after the current maximum.
ID_TABLES = {
    "register_change": "change_id", "migration": "migration_id", "visit_registration": "registration_id",
    "vaccination_sign": "sign_id", "observation": "observation_id", "service_evaluation": "evaluation_id",
    "aefi": "aefi_id", "newborn": "newborn_id", "operation_log": "log_id", "stock_count": "count_id",
}


@dataclass(frozen=True)
class DayRates:
    """Expected counts per simulated day (Poisson means)."""

    births: float
    expected_doses: float
    dose_corrections: float
    recipient_fixes: float
    dose_deletes: float
    recipient_deletes: float
    register_moves: float
    township_merge_probability: float = TOWNSHIP_MERGE_PROBABILITY

    @classmethod
    def for_children(cls, children: int, merge_probability: float = TOWNSHIP_MERGE_PROBABILITY) -> DayRates:
        doses = children * DOSES_PER_CHILD
        return cls(
            births=max(1.0, children * BIRTHS_PER_CHILD),
            expected_doses=doses,
            dose_corrections=max(1.0, doses * DOSE_CORRECTION_SHARE),
            recipient_fixes=max(1.0, doses * RECIPIENT_FIX_SHARE),
            dose_deletes=max(1.0, doses * DOSE_DELETE_SHARE),
            recipient_deletes=max(1.0, children * RECIPIENT_DELETES_PER_CHILD),
            register_moves=max(1.0, children * REGISTER_MOVES_PER_CHILD),
            township_merge_probability=merge_probability,
        )


@dataclass
class DaySummary:
    day: date
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    merges: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_text(self) -> str:
        parts = [f"+{name} {count:,}" for name, count in sorted(self.inserted.items()) if count]
        parts += [f"~{name} {count:,}" for name, count in sorted(self.updated.items()) if count]
        merged = "".join(f"; 乡镇合并 {old}→{new}" for old, new in self.merges)
        return (f"{self.day} 模拟一天: {', '.join(parts)}; faults {sum(self.faults.values()):,}{merged} "
                f"({self.seconds:.1f}s)")


@dataclass
class DaysSummary:
    seed: int
    days: list[DaySummary] = field(default_factory=list)

    @property
    def as_of(self) -> date | None:
        return self.days[-1].day if self.days else None

    def as_text(self) -> str:
        if not self.days:
            return "没有模拟任何一天"
        first, last = self.days[0].day, self.days[-1].day
        lines = [f"已模拟 {len(self.days)} 天: {first} … {last} (seed {self.seed}); 源库 as_of 现为 {last}"]
        return "\n".join(lines + [day.as_text() for day in self.days])


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


class _Rows:
    """A day's new rows per table (bounded by one day), created/updated clamped into the day."""

    def __init__(self, start: datetime, cutoff: datetime) -> None:
        self.start, self.last = start, cutoff - timedelta(seconds=1)
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self._stamp_columns: dict[str, list[int]] = {}

    def emit(self, table: str, row: tuple) -> None:
        columns = self._stamp_columns.get(table)
        if columns is None:
            names_ = contract.table(table).column_names
            columns = [names_.index(c) for c in ("created_at", "updated_at") if c in names_]
            self._stamp_columns[table] = columns
        if any(not self.start <= row[i] <= self.last for i in columns):
            row = tuple(min(max(value, self.start), self.last) if i in columns else value
                        for i, value in enumerate(row))
        self.rows[table].append(row)


class _ManifestRows:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def write(self, row: tuple) -> None:
        self.rows.append(row)


def _sample(conn, rng: random.Random, table: str, key: str, count: int, where: str, params: dict,
            exclude: set[int] = frozenset(), columns: str | None = None) -> list[tuple]:
    """Up to ``count`` rows of ``table`` matching ``where``, drawn by probing random ids (ids are dense)."""
    (max_id,) = conn.execute(f"select coalesce(max({key}), 0) from ops.{table}").fetchone()
    picked: list[tuple] = []
    seen: set[int] = set()
    if count <= 0 or max_id == 0:
        return picked
    for _ in range(30):
        size = min(max_id - len(seen), max(50, count * 4))
        if size <= 0:
            break
        want = sorted(i for i in rng.sample(range(1, max_id + 1), size) if i not in seen and i not in exclude)
        seen.update(want)
        rows = conn.execute(
            f"select {columns or key} from ops.{table} where {key} = any(%(ids)s) and ({where}) order by {key}",
            {**params, "ids": want},
        ).fetchall()
        rng.shuffle(rows)
        picked += rows[: count - len(picked)]
        if len(picked) >= count or len(seen) >= max_id:
            break
    return sorted(picked)


class DaySimulator:
    """One simulated day on one open source connection (committed by ``run``)."""

    def __init__(self, conn, day: date, seed: int, world_seed: int, switch_2025: date, fault_rates: dict,
                 rates: DayRates, force_merge: bool, progress: Callable[[str], None] | None) -> None:
        self.conn, self.day, self.seed = conn, day, seed
        self.progress = progress
        self.rates = rates
        self.force_merge = force_merge
        self.summary = DaySummary(day)
        self.start = datetime.combine(day, time())
        self.world = World.build(world_seed)
        self.first_ids = {
            table: conn.execute(f"select coalesce(max({key}), 0) + 1 from ops.{table}").fetchone()[0]
            for table, key in (("recipient", "recipient_id"), ("vaccination", "vaccination_id"))
        }
        self.ctx = GenContext(seed=seed, as_of=day, world=self.world, fault_rates=fault_rates,
                              switch_2025=switch_2025, next_recipient_id=self.first_ids["recipient"],
                              next_vaccination_id=self.first_ids["vaccination"])
        self.ctx.__dict__["_extension_ids"] = {
            table: conn.execute(f"select coalesce(max({key}), 0) + 1 from ops.{table}").fetchone()[0]
            for table, key in ID_TABLES.items()
        }
        self.cutoff = self.ctx.cutoff
        self.out = _Rows(self.start, self.cutoff)
        self.manifest = _ManifestRows()
        (first_fault,) = conn.execute(
            f"select coalesce(max(fault_id), 0) + 1 from {MANIFEST_SCHEMA}.{MANIFEST_TABLE}").fetchone()
        self.faults = FaultLog(self.manifest, first_id=first_fault)
        self.units = self.world.units.by_id()
        self.successor: dict[str, str] = {}
        self._apply_merges()
        self.doses_by_child: dict[int, tuple[Child, list[tuple]]] = {}
        self.started = clock.perf_counter()

    # -- helpers ------------------------------------------------------------------------------------
    def rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.day.isoformat()}:{stream}")

    def _say(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(f"  {self.day} {stage} ({clock.perf_counter() - self.started:.1f}s)")

    def _office_time(self, rng: random.Random) -> datetime:
        return _clinic_time(rng, self.day)

    def _log(self, rng: random.Random, recipient_id: int, unit_id: str, at: datetime, table: str, key: int,
             operation: str, columns: str | None) -> None:
        pool = self.world.staff.vaccinators.get(unit_id)
        self.out.emit("operation_log", (
            next_id(self.ctx, "operation_log"), recipient_id, unit_id, pool[rng.randrange(len(pool))] if pool else None,
            at, table, str(key), operation, columns, at,
        ))

    def _excluded(self, tables: tuple[str, ...]) -> set[int]:
        """Row keys named by the manifest (and originals of duplicates): edits leave the injected truth alone."""
        rows = self.conn.execute(
            f"select row_key from {MANIFEST_SCHEMA}.{MANIFEST_TABLE} where table_name = any(%s) "
            f"union select substring(detail from 'duplicate of recipient ([0-9]+)') "
            f"from {MANIFEST_SCHEMA}.{MANIFEST_TABLE} where fault_type = 'duplicate_recipient'",
            (list(tables),),
        ).fetchall()
        return {int(key) for (key,) in rows if key and key.isdigit()}

    def _apply_merges(self) -> None:
        """Township merges of earlier simulated days, applied to the freshly built world."""
        regions = self.world.regions
        for code in regions.historic_townships:
            for new in regions.townships:
                if any(old == code.code for old, _, _ in new.predecessors):
                    self.successor[code.code] = new.code
        rows = self.conn.execute(
            "select old_code, new_code, effective_date from ops.township_change where change_id > %s "
            "and change_type = 'merge' order by change_id",
            (len(regions.changes),),
        ).fetchall()
        for old_code, new_code, effective in rows:
            self._merge_in_world(old_code, new_code, effective)

    def _merge_in_world(self, old_code: str, new_code: str, effective: date) -> None:
        regions, units = self.world.regions, self.world.units
        old = self.world.township_by_code.pop(old_code)
        regions.townships.remove(old)
        self.world.townships_of_county[old.county_code].remove(old)
        old.valid_to = effective
        regions.historic_townships.append(old)
        target = self.world.township_by_code[new_code]
        target.predecessors.append((old_code, old.valid_from, effective))
        clinic = units.clinic_of_township[old_code]
        units.clinic_of_township[old_code] = units.clinic_of_township[new_code]
        if clinic not in units.clinic_of_township.values():  # not shared with another township: closed
            if clinic in self.world.all_clinics:
                self.world.all_clinics.remove(clinic)
            county_clinics = units.clinics_of_county.get(old.county_code, [])
            if clinic in county_clinics:
                county_clinics.remove(clinic)
        for code, successor in list(self.successor.items()):
            if successor == old_code:
                self.successor[code] = new_code
        self.successor[old_code] = new_code

    # -- the day ------------------------------------------------------------------------------------
    def run(self) -> DaySummary:
        self.township_merge()
        self.births()
        self._say(f"births {self.summary.inserted['recipient']:,}")
        self.due_doses()
        self._say(f"doses {len(self.out.rows['vaccination']):,}")
        self.visits()
        self.edits()
        self.register_moves()
        self._say("edits and moves")
        self.stock()
        self._say("stock")
        self.write()
        self.summary.seconds = clock.perf_counter() - self.started
        return self.summary

    def township_merge(self) -> None:
        rng = self.rng("township_merge")
        if not self.force_merge and rng.random() >= self.rates.township_merge_probability:
            return
        hosts = {unit.township_code for unit in self.world.units.units if unit.unit_type != "clinic"}
        counties = sorted(county for county, townships in self.world.townships_of_county.items()
                          if len(townships) >= 3)
        rng.shuffle(counties)
        for county in counties:
            townships = self.world.townships_of_county[county]
            candidates = [t for t in townships[1:] if not t.name.endswith("街道") and t.code not in hosts]
            if not candidates:
                continue
            old = candidates[rng.randrange(len(candidates))]
            target = rng.choice([t for t in townships if t.code != old.code])
            break
        else:
            return
        units = self.world.units
        old_clinic, new_clinic = units.clinic_of_township[old.code], units.clinic_of_township[target.code]
        at = datetime.combine(self.day, time(10))
        q = self.conn.execute
        (change_id,) = q("select coalesce(max(change_id), 0) + 1 from ops.township_change").fetchone()
        q("update ops.region set valid_to = %s, updated_at = %s where region_code = %s", (self.day, at, old.code))
        self.out.emit("township_change", (change_id, old.code, target.code, "merge", self.day, at))
        self.summary.updated["region"] += 1
        self._merge_in_world(old.code, target.code, self.day)
        self.summary.merges.append((old.code, target.code))
        if old_clinic in units.clinic_of_township.values() or old_clinic == new_clinic:
            return  # the clinic also serves another township: it stays open
        q("update ops.unit set is_active = false, updated_at = %s where unit_id = %s", (at, old_clinic))
        self.summary.updated["unit"] += 1
        children = q(
            "update ops.recipient set managing_unit_id = %s, updated_at = %s "
            "where managing_unit_id = %s and not is_deleted returning recipient_id, register_status",
            (new_clinic, at, old_clinic),
        ).fetchall()
        self.summary.updated["recipient"] += len(children)
        for recipient_id, status in sorted(children):
            self.out.emit("register_change", register_changes.change_row(
                self.ctx, rng, recipient_id, new_clinic, status, status, at, "unit_merged"))

    def _add_doses(self, child: Child, rows: list[tuple]) -> None:
        known = self.doses_by_child.get(child.recipient_id)
        if known is None:
            self.doses_by_child[child.recipient_id] = (child, list(rows))
        else:
            known[1].extend(rows)

    def births(self) -> None:
        rng, frng = self.rng("births"), self.rng("births:faults")
        world = self.world
        townships = world.regions.townships
        weights = [world.regions.county_weight[t.county_code] * t.weight for t in townships]
        ids = IdAllocator()
        recipients: list[tuple] = []
        for township in sorted(rng.choices(townships, weights, k=_poisson(rng, self.rates.births)),
                               key=lambda t: t.code):
            birth_at = self.start + timedelta(seconds=rng.randrange(86400 - 120))
            ids.enter_county(township.county_code)
            child, rows = make_child(self.ctx, township, rng, frng, ids, self.faults, birth_at=birth_at, newborn=True)
            recipients += rows
            dose_rows: list[tuple] = []
            writer = DoseWriter(self.ctx, rng, frng, self.faults, dose_rows.append)
            writer.entry_deadline = self.cutoff - timedelta(seconds=1)
            obstetric = world.units.obstetric_of_county[township.county_code]
            child_doses(self.ctx, child, obstetric[rng.randrange(len(obstetric))], writer, clamp_birth_doses=True)
            for row in dose_rows:
                self.out.emit("vaccination", row)
            register_changes.EXTENSION.on_child(self.ctx, child, dose_rows, rng, self.out.emit, self.faults)
            newborns.EXTENSION.on_child(self.ctx, child, dose_rows, rng, self.out.emit, self.faults)
            self._add_doses(child, dose_rows)
        numbers = [row[5] for row in recipients if row[5]]
        taken = {row[0] for row in self.conn.execute(
            "select id_number from ops.recipient where id_number = any(%s)", (numbers,))}
        for row in recipients:
            self.out.emit("recipient", row if row[5] not in taken else row[:5] + (None,) + row[6:])
        self.summary.inserted["recipient"] += len(recipients)

    def due_doses(self) -> None:
        """Next doses due within LATE_HORIZON_DAYS, each given today with the daily hazard."""
        rng, frng = self.rng("doses"), self.rng("doses:faults")
        versions = schedules()
        sched = [d for version in versions.values() for d in version.doses]
        dose_of = {(d.schedule_version, d.category_code, d.dose_no): d for d in sched}
        oldest = add_months(self.day, -max(d.min_age_months for d in sched)) - timedelta(days=LATE_HORIZON_DAYS + 1)
        candidates = self.conn.cursor(name=f"due_doses_{self.day:%Y%m%d}")
        candidates.itersize = 20_000
        candidates.execute(
            """
            with sched as (
                select * from unnest(%(version)s::text[], %(category)s::text[], %(dose_no)s::int[],
                                     %(months)s::int[], %(days)s::int[], %(interval)s::int[])
                    as s(version, category, dose_no, min_months, min_days, interval_days)
            ),
            kids as (
                select recipient_id, sex, birth_at, mother_hbsag, managing_unit_id, register_status,
                    case when birth_at::date >= %(switch)s then '2025' else '2021' end as version
                from ops.recipient
                where not is_deleted and register_status in (1, 6, 7, 10)
                  and birth_at >= %(oldest)s and birth_at < %(start)s
            ),
            given as (
                select v.recipient_id, left(v.vaccine_code, 2) as category, count(*) as doses,
                    max(v.vaccinated_at)::date as last_day
                from ops.vaccination as v
                join kids using (recipient_id)
                where not v.is_deleted
                group by 1, 2
            ),
            next_dose as (
                select kids.*, sched.category, sched.dose_no,
                    greatest((kids.birth_at::date + make_interval(months => sched.min_months))::date
                             + sched.min_days, given.last_day + sched.interval_days) as due
                from kids
                join sched on sched.version = kids.version
                left join given on given.recipient_id = kids.recipient_id and given.category = sched.category
                where sched.dose_no = coalesce(given.doses, 0) + 1
            )
            select recipient_id, sex, birth_at, mother_hbsag, managing_unit_id, register_status, version,
                category, dose_no, due
            from next_dose
            where due <= %(day)s and due > %(day)s - %(horizon)s
            order by recipient_id, category
            """,
            {
                "version": [d.schedule_version for d in sched], "category": [d.category_code for d in sched],
                "dose_no": [d.dose_no for d in sched], "months": [d.min_age_months for d in sched],
                "days": [d.min_age_days for d in sched], "interval": [d.min_interval_days or 0 for d in sched],
                "switch": self.ctx.switch_2025, "oldest": oldest, "start": self.start, "day": self.day,
                "horizon": LATE_HORIZON_DAYS,
            },
        )
        pending: list[tuple] = []
        writer = DoseWriter(self.ctx, rng, frng, self.faults, pending.append)
        writer.entry_deadline = self.cutoff - timedelta(seconds=1)
        children: dict[int, Child] = {}
        for number, candidate in enumerate(candidates, start=1):
            if number % 200_000 == 0:
                self._say(f"due doses: {number:,} candidates read")
            recipient_id, sex, birth_at, hbsag, unit_id, status, version, category, dose_no, due = candidate
            dose = dose_of[(version, category, dose_no)]
            overdue = (self.day - due).days
            missed = zlib.crc32(f"{recipient_id}:{category}:{dose_no}".encode()) % 10000
            if missed < 100 + 15 * dose.min_age_months:
                continue
            if rng.random() >= (ON_TIME_HAZARD if overdue <= 30 else LATE_HAZARD):
                continue
            if unit_id not in self.units:
                continue
            child = children.get(recipient_id)
            if child is None:
                child = Child(recipient_id, sex, birth_at, hbsag, None, unit_id[:6], unit_id, status)
                children[recipient_id] = child
            entered_at = None
            moment = _clinic_time(rng, self.day)
            if overdue >= 1 and rng.random() < BACK_ENTRY_SHARE:
                moment = _clinic_time(rng, self.day - timedelta(days=rng.randint(1, min(10, overdue))))
                entered_at = _clinic_time(rng, self.day)
                if entered_at <= moment:
                    entered_at = moment + timedelta(minutes=rng.randint(5, 60))
            code = _product(rng, dose.recommended_vaccine_code, hbsag == "1")
            prop = "1" if (category, dose_no) in BOOSTERS else "0"
            writer.emit(child, code, dose_no, moment, unit_id, dose.route_code, dose.site_code, prop, True,
                        entered_at=entered_at)
            for row in pending:
                self.out.emit("vaccination", row)
            self._add_doses(child, pending)
            pending.clear()
        candidates.close()

    def visits(self) -> None:
        """Registration, signatures, observation and evaluation of the doses given (not back-entered) today."""
        rng = self.rng("visits")
        for recipient_id in sorted(self.doses_by_child):
            child, rows = self.doses_by_child[recipient_id]
            today = [row for row in rows if row[4] >= self.start]
            if today:
                visits.EXTENSION.on_child(self.ctx, child, today, rng, self.out.emit, self.faults)

    def edits(self) -> None:
        rng = self.rng("edits")
        q = self.conn.execute
        excluded_doses = self._excluded(("vaccination",))
        window = {"since": self.start - timedelta(days=EDIT_WINDOW_DAYS), "codes": sorted(MAKERS)}
        columns = ("vaccination_id, recipient_id, vaccine_code, dose_no, vaccinated_at, unit_id, manufacturer_code, "
                   "batch_no, site_code")
        corrections = _sample(
            self.conn, rng, "vaccination", "vaccination_id", _poisson(rng, self.rates.dose_corrections),
            "not is_deleted and vaccinated_at >= %(since)s and vaccine_code = any(%(codes)s)", window,
            excluded_doses, columns)
        for vaccination_id, recipient_id, code, dose_no, vaccinated_at, unit_id, maker, batch_no, site in corrections:
            at = self._office_time(rng)
            kind = rng.choices(("batch_no", "manufacturer_code", "dose_no", "site_code"), (0.45, 0.2, 0.1, 0.25))[0]
            changes: dict[str, object] = {}
            if kind == "manufacturer_code" and len(MAKERS[code]) > 1:
                other = rng.choice([m for m in MAKERS[code] if m != maker])
                batch, expiry = _batch(rng, vaccinated_at.date(), code, other)
                changes = {"manufacturer_code": other, "batch_no": batch, "expiry_date": expiry}
            elif kind == "site_code" and site in SITE_SWAP:
                changes = {"site_code": SITE_SWAP[site]}
            elif kind == "dose_no":
                (ordinal,) = q(
                    "select count(*) from ops.vaccination where recipient_id = %s and not is_deleted "
                    "and left(vaccine_code, 2) = left(%s, 2) and (vaccinated_at, vaccination_id) <= (%s, %s)",
                    (recipient_id, code, vaccinated_at, vaccination_id)).fetchone()
                if ordinal != dose_no:
                    changes = {"dose_no": ordinal}
            if not changes and batch_no:
                changes = {"batch_no": batch_no[:8] + ("02" if batch_no[8:] == "01" else "01")}
            if not changes:
                continue
            assignments = ", ".join(f"{name} = %({name})s" for name in changes)
            q(f"update ops.vaccination set {assignments}, updated_at = %(at)s where vaccination_id = %(id)s",
              {**changes, "at": at, "id": vaccination_id})
            self.summary.updated["vaccination"] += 1
            self._log(rng, recipient_id, unit_id, at, "vaccination", vaccination_id, "update", ",".join(changes))

        deletes = _sample(
            self.conn, rng, "vaccination", "vaccination_id", _poisson(rng, self.rates.dose_deletes),
            "not is_deleted and vaccinated_at >= %(since)s", window, excluded_doses,
            "vaccination_id, recipient_id, unit_id")
        for vaccination_id, recipient_id, unit_id in deletes:
            at = self._office_time(rng)
            q("update ops.vaccination set is_deleted = true, updated_at = %s where vaccination_id = %s",
              (at, vaccination_id))
            self.summary.updated["vaccination"] += 1
            self._log(rng, recipient_id, unit_id, at, "vaccination", vaccination_id, "delete", None)

        excluded = self._excluded(("recipient", "register_change"))
        fixes = _poisson(rng, self.rates.recipient_fixes)
        columns = "recipient_id, sex, birth_at, household_township_code, residence_township_code, managing_unit_id"
        missing_id = _sample(self.conn, rng, "recipient", "recipient_id", (fixes + 1) // 2,
                             "not is_deleted and id_number is null", {}, excluded, columns)
        for recipient_id, sex, birth_at, household, _, unit_id in missing_id:
            county = county_code_on(household[:6], birth_at.date())
            for _ in range(50):
                number = idcard.make_id(county, birth_at.date(), rng.randrange(0, LOCAL_SEQ_LIMIT), sex)
                if q("select not exists (select 1 from ops.recipient where id_number = %s)", (number,)).fetchone()[0]:
                    break
            else:
                continue
            at = self._office_time(rng)
            q("update ops.recipient set id_number = %s, updated_at = %s where recipient_id = %s",
              (number, at, recipient_id))
            self.summary.updated["recipient"] += 1
            self._log(rng, recipient_id, unit_id, at, "recipient", recipient_id, "update", "id_number")
        old_codes = sorted(self.successor)
        stale = _sample(self.conn, rng, "recipient", "recipient_id", fixes // 2 or 1,
                        "not is_deleted and residence_township_code = any(%(old)s)", {"old": old_codes}, excluded,
                        columns)
        for recipient_id, _, _, _, residence, unit_id in stale:
            at = self._office_time(rng)
            current = self.successor[residence]
            q("update ops.recipient set residence_township_code = %s, household_township_code = "
              "case when household_township_code = %s then %s else household_township_code end, updated_at = %s "
              "where recipient_id = %s", (current, residence, current, at, recipient_id))
            self.summary.updated["recipient"] += 1
            self._log(rng, recipient_id, unit_id, at, "recipient", recipient_id, "update", "residence_township_code")

        deleted = _sample(self.conn, rng, "recipient", "recipient_id", _poisson(rng, self.rates.recipient_deletes),
                          "not is_deleted and register_status in (1, 10)", {}, excluded,
                          "recipient_id, register_status, managing_unit_id")
        for recipient_id, status, unit_id in deleted:
            at = self._office_time(rng)
            q("update ops.recipient set is_deleted = true, register_status = 5, updated_at = %s "
              "where recipient_id = %s", (at, recipient_id))
            self.summary.updated["recipient"] += 1
            self.out.emit("register_change", register_changes.change_row(
                self.ctx, rng, recipient_id, unit_id, status, 5, at, "deleted"))
            self._log(rng, recipient_id, unit_id, at, "recipient", recipient_id, "delete", None)

    def register_moves(self) -> None:
        rng = self.rng("moves")
        q = self.conn.execute
        excluded = self._excluded(("recipient", "register_change"))
        picked = _sample(self.conn, rng, "recipient", "recipient_id", _poisson(rng, self.rates.register_moves),
                         "not is_deleted and register_status in (1, 7, 10)", {}, excluded,
                         "recipient_id, birth_at, register_status, managing_unit_id")
        staff = registrars(self.ctx)
        clinics = self.world.all_clinics
        kinds, weights = zip(*MOVE_KINDS, strict=True)
        for recipient_id, birth_at, status, unit_id in picked:
            at = self._office_time(rng)
            kind = rng.choices(kinds, weights)[0]
            age = (self.day - birth_at.date()).days / 365.25
            if kind == "school":
                new_status = 6 if age >= 6 else 7 if age >= 3 and status != 7 else None
                if new_status is None:
                    kind = "transfer_in"
            if kind == "transfer_in":
                to_unit = clinics[rng.randrange(len(clinics))]
                if to_unit == unit_id or unit_id not in self.units:
                    continue
                initiated = max(self.start + timedelta(minutes=1), at - timedelta(minutes=rng.randint(30, 360)))
                pool = staff.get(unit_id)
                self.out.emit("migration", (
                    next_id(self.ctx, "migration"), recipient_id, unit_id, to_unit, initiated,
                    pool[rng.randrange(len(pool))] if pool else None, "accepted", at, None,
                    rng.choice(MIGRATION_REASON_CODES), None, False, initiated, at,
                ))
                township = self.units[to_unit].township_code
                q("update ops.recipient set managing_unit_id = %s, register_status = 10, "
                  "residence_township_code = coalesce(%s, residence_township_code), updated_at = %s "
                  "where recipient_id = %s", (to_unit, township, at + timedelta(seconds=1), recipient_id))
                self.out.emit("register_change", register_changes.change_row(
                    self.ctx, rng, recipient_id, unit_id, status, 2, at, "transfer_out"))
                self.out.emit("register_change", register_changes.change_row(
                    self.ctx, rng, recipient_id, to_unit, 2, 10, at + timedelta(seconds=1), "transfer_in"))
            else:
                if kind != "school":
                    new_status = {"transfer_out": 2, "temporary_away": 3, "death": 4}[kind]
                q("update ops.recipient set register_status = %s, updated_at = %s where recipient_id = %s",
                  (new_status, at, recipient_id))
                self.out.emit("register_change", register_changes.change_row(
                    self.ctx, rng, recipient_id, unit_id, status, new_status, at,
                    {6: "school", 7: "kindergarten"}.get(new_status, kind)))
            self.summary.updated["recipient"] += 1

    def stock(self) -> None:
        """OUT_USE for the day's doses, inbound transfers where balances fall short, counts at period ends."""
        rng = self.rng("stock")
        tracer = traceability.EXTENSION
        tracer.reset()
        for recipient_id in sorted(self.doses_by_child):
            child, rows = self.doses_by_child[recipient_id]
            tracer.on_child(self.ctx, child, rows, rng, None, self.faults)
        tracer._record_undeducted(self.faults)
        uses = tracer.uses
        tracer.reset()
        events: list[tuple] = []
        need: Counter = Counter()
        batches: dict[str, tuple[str, str, str, date]] = {}
        for (unit_id, code, maker, batch_no), days in sorted(uses.items()):
            if unit_id not in self.units:
                continue
            bid = traceability.batch_id(traceability.spec_id(code, maker), batch_no)
            per_unit = traceability.MULTI_DOSE.get(code, (1, "支"))[0]
            for day, doses in sorted(days.items()):
                vials = math.ceil(doses / per_unit)
                events.append((unit_id, day, "OUT_USE", None, None, bid, vials))
                need[(unit_id, bid)] += vials
                first = batches.get(bid)
                batches[bid] = (code, maker, batch_no, min(day, first[3]) if first else day)
        q = self.conn.execute
        known = {row[0] for row in q("select batch_id from ops.vaccine_batch where batch_id = any(%s)",
                                     (sorted(batches),))}
        (lot_seq,) = q("select count(*) from ops.vaccine_batch").fetchone()
        for bid in sorted(set(batches) - known):
            code, maker, batch_no, first_use = batches[bid]
            lot_seq += 1
            batch_row, codes = traceability.batch_master(self.ctx, rng, self.faults, code, maker, batch_no,
                                                         lot_seq, first_use)
            self.out.emit("vaccine_batch", batch_row)
            for row in codes:
                self.out.emit("trace_code", row)
        balance = self._balances(sorted(batches))
        depth_of: dict[str, int] = {}

        def depth(unit_id: str) -> int:
            if unit_id not in depth_of:
                parent = self.units[unit_id].parent_unit_id
                depth_of[unit_id] = 0 if parent is None else depth(parent) + 1
            return depth_of[unit_id]

        while need:
            deepest = max(depth(unit_id) for unit_id, _ in need)
            level = sorted(key for key in need if depth(key[0]) == deepest)
            for unit_id, bid in level:
                wanted = need.pop((unit_id, bid))
                short = wanted - balance.get((unit_id, bid), 0)
                if short <= 0:
                    continue
                qty = short + wanted * rng.randint(15, 25)
                parent = self.units[unit_id].parent_unit_id
                if parent is None:
                    maker = batches[bid][1]
                    events.append((unit_id, self.day, "IN_PURCHASE", f"M:{maker}", None, bid, qty))
                    continue
                events.append((unit_id, self.day, "IN_TRANSFER", parent, None, bid, qty))
                events.append((parent, self.day, "OUT_TRANSFER", unit_id, None, bid, qty))
                need[(parent, bid)] += qty
        first_doc, first_line = (q(f"select coalesce(max({key}), 0) + 1 from ops.{table}").fetchone()[0]
                                 for table, key in (("stock_doc", "doc_id"), ("stock_line", "line_id")))
        stamp = datetime.combine(self.day, time(16, 30))
        traceability.emit_stock_docs(events, self.units, rng, self.out.emit, first_doc, first_line,
                                     stamp_of=lambda _: stamp)
        self._stock_counts(rng, events)

    def _balances(self, batch_ids: list[str] | None, unit_ids: list[str] | None = None) -> Counter:
        rows = self.conn.execute(
            """
            select doc.unit_id, line.batch_id,
                sum(case when doc.doc_type like 'IN\\_%%' then line.quantity else -line.quantity end)
            from ops.stock_line as line
            join ops.stock_doc as doc using (doc_id)
            where not doc.is_deleted
              and (%(batches)s::text[] is null or line.batch_id = any(%(batches)s))
              and (%(units)s::text[] is null or doc.unit_id = any(%(units)s))
            group by 1, 2
            """,
            {"batches": batch_ids, "units": unit_ids},
        ).fetchall()
        return Counter({(unit_id, bid): int(total) for unit_id, bid, total in rows})

    def _stock_counts(self, rng: random.Random, events: list[tuple]) -> None:
        counting = sorted(unit.unit_id for unit in self.world.units.units
                          if unit.is_active and stock_counts.counts_on(unit.unit_type, self.day))
        if not counting:
            return
        book = self._balances(None, counting)
        wanted = set(counting)
        for unit_id, _, doc_type, _, _, bid, qty in events:
            if unit_id in wanted:
                book[(unit_id, bid)] += qty if doc_type.startswith("IN_") else -qty
        rate = self.ctx.fault_rates.get("stock_count_discrepancy", 0.0)
        by_unit: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for (unit_id, bid), balance in sorted(book.items()):
            if balance > 0:
                by_unit[unit_id].append((bid, balance))
        for unit_id in sorted(by_unit):
            counter = names.adult_name(rng, rng.choice("12"))
            for bid, balance in by_unit[unit_id]:
                self.out.emit("stock_count", stock_counts.count_row(
                    rng, rate, self.faults, next_id(self.ctx, "stock_count"), unit_id, bid, self.day, balance,
                    counter))

    def write(self) -> None:
        conn = self.conn
        self.summary.inserted.clear()
        for table in contract.tables():
            rows = self.out.rows.get(table.name)
            if not rows:
                continue
            with CopyWriter(None, f"ops.{table.name}", table.column_names, conn=conn) as writer:
                writer.write_many(rows)
            self.summary.inserted[table.name] = len(rows)
        if self.manifest.rows:
            with CopyWriter(None, f"{MANIFEST_SCHEMA}.{MANIFEST_TABLE}", MANIFEST_COLUMNS, conn=conn) as writer:
                writer.write_many(self.manifest.rows)
        self.summary.faults = Counter(self.faults.counts)
        self.summary.faults.update(quality_faults.inject_into(
            conn, self.seed, self.ctx.fault_rates,
            since={"recipient": self.first_ids["recipient"], "vaccination": self.first_ids["vaccination"]}))
        self.summary.faults = +self.summary.faults
        conn.execute(f"update {MANIFEST_SCHEMA}.generation_run set as_of = %s", (self.day,))
        conn.execute(
            f"insert into {MANIFEST_SCHEMA}.simulated_day values (%s, %s, %s, %s)",
            (self.day, self.seed, _json(self.summary.inserted), _json(self.summary.updated)),
        )


def _json(counts: Counter) -> str:
    return json.dumps(dict(sorted(counts.items())))


def simulate_days(
    params: PgParams,
    days: int,
    seed: int | None = None,
    township_merge_on: date | None = None,
    merge_probability: float = TOWNSHIP_MERGE_PROBABILITY,
    fault_rates: dict[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DaysSummary:
    """Advance the generated source database by ``days`` days (see the module doc).

    ``seed`` defaults to the generation's seed; ``township_merge_on``: a day that gets a township merge
    whatever the probability. ``progress`` receives a line per stage and per day.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    with connect(params) as conn:
        run = conn.execute(
            f"select seed, as_of, children, switch_2025 from {MANIFEST_SCHEMA}.generation_run").fetchone()
        if run is None:
            raise RuntimeError("the source database was not generated by vaxdw.simulator.generate")
        conn.execute(DAY_DDL)
        conn.commit()
    world_seed, _, children, switch_2025 = run
    seed = world_seed if seed is None else seed
    summary = DaysSummary(seed)
    rates = DayRates.for_children(children, merge_probability)
    resolved = resolve_rates(fault_rates)
    for _ in range(days):
        with connect(params) as conn:
            conn.execute("select pg_advisory_xact_lock(hashtext('vaxdw.simulate_days'))")
            (as_of,) = conn.execute(f"select as_of from {MANIFEST_SCHEMA}.generation_run").fetchone()
            day = as_of + timedelta(days=1)
            simulator = DaySimulator(conn, day, seed, world_seed, switch_2025, resolved, rates,
                                     force_merge=day == township_merge_on, progress=progress)
            result = simulator.run()
            conn.commit()
        summary.days.append(result)
        log.info(result.as_text())
        if progress is not None:
            progress(result.as_text())
    return summary
