"""Recipients (受种者档案): children born 0–7 years before ``as_of``, generated township by township."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from vaxdw import idcard
from vaxdw.simulator import names
from vaxdw.simulator.context import GenContext, county_code_on
from vaxdw.simulator.faults import FaultLog
from vaxdw.simulator.regions import Township

RECIPIENT_COLUMNS = (
    "recipient_id", "recipient_name", "sex", "birth_at", "birth_weight", "id_number", "mother_name",
    "mother_hbsag", "household_township_code", "residence_township_code", "is_local", "managing_unit_id",
    "register_status", "is_deleted", "created_at", "updated_at",
)

AGE_SPAN_DAYS = 7 * 365
BAD_WEIGHTS = ("3.2kg", "abc", "３２００", "3200g", "约3000", "-", "3,300", "3.5斤")
# Local IDs draw sequences below this; IDs of mobile children and faulted IDs draw above it from a
# province-wide pool, so normal IDs never collide.
LOCAL_SEQ_LIMIT = 400


@dataclass(slots=True)
class Child:
    recipient_id: int
    sex: str
    birth_at: datetime
    mother_hbsag: str | None
    birth_weight_g: int | None
    county_code: str  # county of residence (current code)
    managing_unit_id: str
    register_status: int
    # Clinics before the current one: (until, unit_id), in time order.
    earlier_clinics: list[tuple[datetime, str]] = field(default_factory=list)
    left_at: datetime | None = None  # 迁出/临时外转/死亡: no doses after this
    window: tuple[datetime, datetime] | None = None  # 异地/临时接种: only doses within
    hospital_birth: bool = True
    created_at: datetime | None = None  # the record's 建档时间 (set by make_child)
    household_code: str | None = None  # 户籍地 / 现住址 township codes as recorded (set by make_child)
    residence_code: str | None = None
    mother_name: str | None = None

    def clinic_at(self, moment: datetime) -> str:
        for until, unit_id in self.earlier_clinics:
            if moment < until:
                return unit_id
        return self.managing_unit_id


class IdAllocator:
    """Unique normal ID numbers: a per-county set for local children, a shared pool for the rest."""

    def __init__(self) -> None:
        self.county: str | None = None
        self.local: set[str] = set()
        self.shared: set[str] = set()

    def enter_county(self, county: str) -> None:
        if county != self.county:
            self.county, self.local = county, set()

    def allocate(self, rng: random.Random, address: str, birth: date, sex: str, local: bool) -> str:
        pool, low, high = (self.local, 0, LOCAL_SEQ_LIMIT) if local else (self.shared, LOCAL_SEQ_LIMIT, 500)
        for _ in range(200):
            number = idcard.make_id(address, birth, rng.randrange(low, high), sex)
            if number not in pool:
                pool.add(number)
                return number
        raise RuntimeError(f"ID sequence space exhausted for {address} {birth}")


def allocate_children(ctx: GenContext, total: int) -> list[tuple[Township, int]]:
    """Children per current township: county weight × township weight, largest-remainder rounding."""
    regions = ctx.world.regions
    county_sum: dict[str, float] = {}
    for township in regions.townships:
        county_sum[township.county_code] = county_sum.get(township.county_code, 0.0) + township.weight
    weights = [
        regions.county_weight[t.county_code] * t.weight / county_sum[t.county_code] for t in regions.townships
    ]
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return list(zip(regions.townships, counts, strict=True))


def _random_birth(rng: random.Random, cutoff: datetime) -> datetime:
    # Births declined over the window: older cohorts are somewhat larger.
    while True:
        age = rng.random() * AGE_SPAN_DAYS
        if rng.random() < 0.75 + 0.25 * age / AGE_SPAN_DAYS:
            break
    return cutoff - timedelta(seconds=int(age * 86400) + 1)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def make_child(
    ctx: GenContext,
    township: Township,
    rng: random.Random,
    frng: random.Random,
    ids: IdAllocator,
    faults: FaultLog,
    birth_at: datetime | None = None,
    newborn: bool = False,
) -> tuple[Child, list[tuple]]:
    """One child: its Child (for dose generation) and its recipient rows (a duplicate adds a second
    row). Faults are drawn from ``frng`` so the fault rates do not shift the normal data much.

    ``newborn``: a birth of the simulated day (vaxdw.simulator.days): registered 本地 (1) at its
    township's clinic, no movements yet (those come later, day by day)."""
    world, cutoff, rates = ctx.world, ctx.cutoff, ctx.fault_rates
    recipient_id = ctx.next_recipient_id
    ctx.next_recipient_id += 1
    sex = "1" if rng.random() < 0.52 else "2"
    family = names.surname(rng)
    name = names.child_name(rng, sex, family)
    mother = names.adult_name(rng, "2")
    if birth_at is None:
        birth_at = _random_birth(rng, cutoff)
    birth_date = birth_at.date()
    roll = rng.random()
    hbsag = "1" if roll < 0.01 else "3" if roll < 0.06 else "2"
    weight_g = None if rng.random() < 0.004 else max(1000, min(5200, int(rng.gauss(3300, 450))))

    managing = world.units.clinic_of_township[township.code]
    child = Child(recipient_id, sex, birth_at, hbsag, weight_g, township.county_code, managing, 1)
    child.hospital_birth = rng.random() < 0.97
    created_at = birth_at + timedelta(minutes=rng.randint(30, 48 * 60))

    # Household and residence.
    residence = household = township.code
    is_local = True
    roll = rng.random()
    if roll < 0.10:  # 流动: household registered in another county
        other = world.regions.townships[rng.randrange(len(world.regions.townships))]
        if other.county_code != township.county_code:
            household, is_local = other.code, False
    elif roll < 0.15:  # different township of the same county
        same = world.townships_of_county[township.county_code]
        household = same[rng.randrange(len(same))].code
    old_codes = township.codes_valid_on(created_at.date())
    if old_codes and rng.random() < 0.6:
        old = old_codes[rng.randrange(len(old_codes))]
        residence = old
        if household == township.code:
            household = old

    child.household_code, child.residence_code, child.mother_name = household, residence, mother

    # Register status and movements.
    age_years = (cutoff - birth_at).days / 365.25
    roll = 1.0 if newborn else rng.random()
    status = 1
    if roll < 0.002:
        status = 5
    elif roll < 0.006:
        status, child.left_at = 4, _between(rng, birth_at + timedelta(days=20), cutoff - timedelta(days=1))
    elif roll < 0.026:
        status, child.left_at = 2, _between(rng, birth_at + timedelta(days=30), cutoff - timedelta(days=1))
    elif roll < 0.036:
        status, child.left_at = 3, _between(rng, birth_at + timedelta(days=30), cutoff - timedelta(days=1))
    elif roll < 0.056:
        status = 8 if roll < 0.046 else 9
        start = _between(rng, birth_at + timedelta(days=25), cutoff - timedelta(days=2))
        child.window = (start, start + timedelta(days=rng.randint(20, 90)))
        created_at = start
        is_local = False
    elif roll < 0.106:  # 外地转来: earlier doses at a clinic of another county
        status = 10
        moved = _between(rng, birth_at + timedelta(days=40), cutoff - timedelta(days=1))
        child.earlier_clinics.append((moved, world.all_clinics[rng.randrange(len(world.all_clinics))]))
    elif roll < 0.14:  # moved between clinics of the same county
        moved = _between(rng, birth_at + timedelta(days=40), cutoff - timedelta(days=1))
        clinics = world.units.clinics_of_county[township.county_code]
        child.earlier_clinics.append((moved, clinics[rng.randrange(len(clinics))]))
    if status == 1 and age_years >= 6 and rng.random() < 0.5:
        status = 6
    elif status == 1 and age_years >= 3 and rng.random() < 0.4:
        status = 7
    closed = world.units.closed_clinic_of_township.get(township.code)
    if closed and birth_at.date() < closed[1]:
        closed_at = datetime.combine(closed[1], datetime.min.time())
        child.earlier_clinics.insert(0, (closed_at, closed[0]))
    child.earlier_clinics.sort()
    child.register_status = status
    is_deleted = (status == 5 and rng.random() < 0.8) or rng.random() < 0.002

    # ID number (address = household county as coded at birth).
    id_number: str | None = None
    has_id = rng.random() < (0.4 if (cutoff - birth_at).days < 60 else 0.93)
    current_household = world.township_by_code.get(household)
    household_county = county_code_on(current_household.county_code if current_household else household[:6], birth_date)
    if has_id:
        id_number = ids.allocate(rng, household_county, birth_date, sex, local=is_local)
    normal_id = id_number

    updated_at = created_at
    for moment in [child.left_at] + [until for until, _ in child.earlier_clinics]:
        if moment is not None and moment > updated_at:
            updated_at = moment
    if rng.random() < 0.3:
        updated_at = _between(rng, updated_at, cutoff - timedelta(minutes=1))
    updated_at = min(updated_at, cutoff - timedelta(seconds=1))
    created_at = min(created_at, updated_at)
    child.created_at = created_at

    # Faults.
    weight_text = None if weight_g is None else str(weight_g)
    roll = frng.random()
    id_fault_edges = (
        rates["bad_id_check_digit"],
        rates["bad_id_check_digit"] + rates["id_birth_date_mismatch"],
        rates["bad_id_check_digit"] + rates["id_birth_date_mismatch"] + rates["id_sex_mismatch"],
    )
    if roll < id_fault_edges[2]:
        if roll < id_fault_edges[0]:
            base = id_number or ids.allocate(frng, household_county, birth_date, sex, local=False)
            wrong = frng.choice([c for c in idcard.CHECK_CHARS if c != base[17]])
            id_number = base[:17] + wrong
            faults.record("bad_id_check_digit", recipient_id, f"check character {wrong}, correct {base[17]}")
        elif roll < id_fault_edges[1]:
            shift = frng.choice((-1, 1)) * frng.randint(1, 60)
            id_number = ids.allocate(frng, household_county, birth_date + timedelta(days=shift), sex, local=False)
            faults.record("id_birth_date_mismatch", recipient_id, f"ID birth date shifted {shift:+d} days")
        else:
            other_sex = "2" if sex == "1" else "1"
            id_number = ids.allocate(frng, household_county, birth_date, other_sex, local=False)
            faults.record("id_sex_mismatch", recipient_id, f"ID encodes sex {other_sex}, recorded {sex}")
    if frng.random() < rates["missing_hbsag"]:
        hbsag = None
        faults.record("missing_hbsag", recipient_id, "mother_hbsag null")
    if frng.random() < rates["unparseable_birth_weight"]:
        weight_text = frng.choice(BAD_WEIGHTS)
        faults.record("unparseable_birth_weight", recipient_id, f"birth_weight {weight_text!r}")

    row = (
        recipient_id, name, sex, birth_at, weight_text, id_number, mother, hbsag, household, residence,
        is_local, managing, status, is_deleted, created_at, updated_at,
    )
    rows = [row]
    if frng.random() < rates["duplicate_recipient"]:
        duplicate_id = ctx.next_recipient_id
        ctx.next_recipient_id += 1
        dup_created = min(created_at + timedelta(days=frng.randint(1, 300)), cutoff - timedelta(seconds=2))
        dup_id_number = normal_id if frng.random() < 0.5 else None
        rows.append((
            duplicate_id, name, sex, birth_at, None if weight_g is None else str(weight_g), dup_id_number, mother,
            child.mother_hbsag, household, residence, is_local, managing, 1, False, dup_created,
            max(dup_created, updated_at),
        ))
        faults.record("duplicate_recipient", duplicate_id,
                      f"duplicate of recipient {recipient_id}" + (" (same ID number)" if dup_id_number else ""))
    return child, rows
