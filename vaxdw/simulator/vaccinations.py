"""Vaccination records (接种记录): each child's doses, following its schedule version.

For every dose due before ``as_of`` the child is vaccinated timely (most), late, or the series
stops (missed; likelier for later doses). HepB1 and BCG are mostly given by the birth hospital's
obstetric unit within 24 h; later doses by the clinic managing the child at that time. A share of
children also get non-NIP vaccines (Hib, varicella, EV71) at their own cost.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from vaxdw.schedule import ScheduleDose, add_months, schedule_for
from vaxdw.simulator.code_tables import MAKERS, UNKNOWN_VACCINE_CODES
from vaxdw.simulator.context import GenContext
from vaxdw.simulator.faults import FaultLog
from vaxdw.simulator.recipients import Child

VACCINATION_COLUMNS = (
    "vaccination_id", "recipient_id", "vaccine_code", "dose_no", "vaccinated_at", "unit_id", "vaccinator_id",
    "manufacturer_code", "batch_no", "expiry_date", "site_code", "route_code", "vacc_property", "is_free",
    "entered_at", "uploaded_at", "is_deleted", "created_at", "updated_at",
)

TIMELY_SHARE = 0.88
# Booster doses (接种属性 1 加强); every other scheduled dose is 0 基础.
BOOSTERS = {("03", 4), ("04", 4), ("04", 5), ("06", 1), ("18", 2), ("17", 1), ("17", 2)}
# Alternative products within a category: (code, probability), the rest is the recommended code.
ALTERNATIVES = {"0202": (("0201", 0.15), ("0203", 0.05)), "0306": (("0303", 0.15),)}
BAD_EXPIRY = ("2024-02-30", "20240230x", "2025-13-01", "2026/0631", "长期", "0000-00-00")
# Polio schedule history (DOMAIN §1.4): children born before this date followed 1 IPV + 3 bOPV, so their
# routine polio dose 2 is bOPV (0311); from this birth date on, 2 IPV + 2 bOPV. Only cohorts born before
# 2019-10-01 are affected (none exist with the default as_of, so default generations are unchanged).
TWO_IPV_FROM_BIRTH = date(2019, 10, 1)


@dataclass(frozen=True)
class NonNipSeries:
    vaccine_code: str
    uptake: float
    ages_months: tuple[int, ...]
    interval_days: int
    route_code: str
    site_code: str


NON_NIP = (
    NonNipSeries("2301", 0.30, (2, 3, 4), 28, "2", "1"),
    NonNipSeries("5401", 0.40, (6, 7), 28, "2", "1"),
    NonNipSeries("2201", 0.55, (12, 48), 90, "3", "1"),
)


_SERIES: dict[str, dict[str, list[ScheduleDose]]] = {}


def _clinic_time(rng: random.Random, day: date) -> datetime:
    minute = rng.randrange(8 * 60, 11 * 60 + 30) if rng.random() < 0.7 else rng.randrange(14 * 60, 17 * 60)
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randrange(60)))


def _batch(rng: random.Random, vaccinated: date, vaccine_code: str, manufacturer: str | None) -> tuple[str, str]:
    """A batch number and its expiry: produced 2–5 months before use, shelf life 24 months.

    The batch is a function of (vaccine, manufacturer, month of use), as in real supply: a clinic uses
    one batch of a product at a time, so stock flows stay per batch rather than per dose. The two rng
    draws are kept so every later random value of the generator is unchanged.
    """
    rng.randint(1, 11), rng.randint(1, 6)
    month = vaccinated.replace(day=1)
    digest = zlib.crc32(f"{vaccine_code}:{manufacturer}:{month:%Y%m}".encode())
    produced = add_months(month, -(2 + digest % 4))
    expiry = add_months(produced, 24) - timedelta(days=1)
    return f"{produced:%Y%m}{1 + (digest >> 8) % 2:02d}", f"{expiry:%Y-%m-%d}"


class DoseWriter:
    """Turns (child, vaccine, dose, moment, unit) into vaccination rows with entry/upload times."""

    def __init__(self, ctx: GenContext, rng: random.Random, frng: random.Random, faults: FaultLog, write) -> None:
        self.ctx, self.rng, self.frng, self.faults, self.write = ctx, rng, frng, faults, write
        self.vaccinators = ctx.world.staff.vaccinators
        self.cutoff = ctx.cutoff
        self.rates = ctx.fault_rates
        # Daily simulation: every entry falls on the simulated day (a dose given just before midnight is
        # entered before it, not after the day's cutoff). The whole-history generator leaves it None.
        self.entry_deadline: datetime | None = None

    def _entry(self, vaccinated_at: datetime) -> datetime:
        rng = self.rng
        roll = rng.random()
        if roll < 0.70:
            delay = timedelta(minutes=rng.randint(2, 60))
        elif roll < 0.85:
            delay = timedelta(minutes=rng.randint(61, 8 * 60))
        elif roll < 0.93:
            delay = timedelta(hours=rng.randint(16, 30), minutes=rng.randrange(60))
        elif roll < 0.98:
            delay = timedelta(days=rng.randint(2, 10), minutes=rng.randrange(600))
        else:
            delay = timedelta(days=rng.randint(14, 90), minutes=rng.randrange(600))  # back-entered (补录)
        entered_at = vaccinated_at + delay
        if entered_at >= self.cutoff:
            entered_at = vaccinated_at + timedelta(minutes=rng.randint(2, 30))
        if self.entry_deadline is not None and entered_at > self.entry_deadline:
            entered_at = max(vaccinated_at, self.entry_deadline)
        return entered_at

    def emit(
        self,
        child: Child,
        vaccine_code: str,
        dose_no: int,
        vaccinated_at: datetime,
        unit_id: str,
        route_code: str,
        site_code: str,
        vacc_property: str,
        is_free: bool,
        birth_dose: bool = False,
        entered_at: datetime | None = None,
    ) -> None:
        """Write one dose. ``entered_at`` given: the dose was entered then (a back-entry, 补录), not drawn."""
        rng, frng, ctx = self.rng, self.frng, self.ctx
        vaccination_id = ctx.next_vaccination_id
        ctx.next_vaccination_id += 1
        staff = self.vaccinators.get(unit_id)
        vaccinator = staff[rng.randrange(len(staff))] if staff else None
        makers = MAKERS.get(vaccine_code)
        manufacturer = makers[rng.randrange(len(makers))] if makers else None
        batch_no, expiry = _batch(rng, vaccinated_at.date(), vaccine_code, manufacturer)
        if entered_at is None:
            entered_at = self._entry(vaccinated_at)
        uploaded_at: datetime | None = entered_at + timedelta(minutes=rng.randint(1, 360))
        if rng.random() < 0.02 or (self.cutoff - entered_at < timedelta(days=2) and rng.random() < 0.5):
            uploaded_at = None
        elif uploaded_at is not None and uploaded_at >= self.cutoff:
            uploaded_at = None
        is_deleted = rng.random() < 0.003
        updated_at = uploaded_at or entered_at
        if rng.random() < 0.03:
            span = int((self.cutoff - updated_at).total_seconds())
            if span > 1:
                updated_at += timedelta(seconds=rng.randrange(span))

        # Faults.
        if birth_dose and frng.random() < self.rates["dose_before_birth"]:
            vaccinated_at = child.birth_at - timedelta(minutes=frng.randint(30, 3 * 24 * 60))
            self.faults.record("dose_before_birth", vaccination_id,
                               f"vaccinated {child.birth_at - vaccinated_at} before birth")
        if frng.random() < self.rates["entry_before_vaccination"]:
            entered_at = vaccinated_at - timedelta(minutes=frng.randint(10, 3 * 24 * 60))
            self.faults.record("entry_before_vaccination", vaccination_id,
                               f"entered {vaccinated_at - entered_at} before vaccination")
        if frng.random() < self.rates["unknown_vaccine_code"]:
            wrong = frng.choice(UNKNOWN_VACCINE_CODES)
            self.faults.record("unknown_vaccine_code", vaccination_id, f"{wrong} instead of {vaccine_code}")
            vaccine_code = wrong
        if frng.random() < self.rates["unparseable_expiry_date"]:
            expiry = frng.choice(BAD_EXPIRY)
            self.faults.record("unparseable_expiry_date", vaccination_id, f"expiry_date {expiry!r}")
        created_at = entered_at
        updated_at = max(updated_at, entered_at)
        self.write((
            vaccination_id, child.recipient_id, vaccine_code, dose_no, vaccinated_at, unit_id, vaccinator,
            manufacturer, batch_no, expiry, site_code, route_code, vacc_property, is_free, entered_at,
            uploaded_at, is_deleted, created_at, updated_at,
        ))


def _product(rng: random.Random, recommended: str, hbsag_positive: bool) -> str:
    if recommended == "0202" and hbsag_positive and rng.random() < 0.5:
        return "0201"  # 20 µg CHO for infants of HBsAg-positive mothers
    for code, share in ALTERNATIVES.get(recommended, ()):
        if rng.random() < share:
            return code
    return recommended


def _allowed(child: Child, moment: datetime, cutoff: datetime) -> bool:
    if moment >= cutoff or (child.left_at is not None and moment > child.left_at):
        return False
    return True


def _in_window(child: Child, moment: datetime) -> bool:
    return child.window is None or child.window[0] <= moment <= child.window[1]


def child_doses(
    ctx: GenContext, child: Child, birth_unit: str | None, out: DoseWriter, clamp_birth_doses: bool = False
) -> None:
    """Write all doses of one child (those before the cutoff).

    ``clamp_birth_doses``: a newborn of the simulated day whose hospital birth dose would fall after the
    day's cutoff gets it before the cutoff instead (between birth and midnight), so it is still given
    at the birth hospital within 24 h.
    """
    rng = out.rng
    cutoff = ctx.cutoff
    birth = child.birth_at
    birth_date = birth.date()
    positive = child.mother_hbsag == "1"
    schedule = schedule_for(birth_date, ctx.switch_2025)
    if schedule.version not in _SERIES:
        _SERIES[schedule.version] = schedule.series()
    hospital = child.hospital_birth and birth_unit is not None

    for category, series in _SERIES[schedule.version].items():
        previous: date | None = None
        for dose in series:
            moment = _next_moment(rng, child, dose, previous, hospital, positive)
            if (clamp_birth_doses and moment is not None and moment >= cutoff and hospital
                    and dose.min_age_months == 0 and moment - birth < timedelta(hours=72)):
                moment = birth + (cutoff - birth) * rng.random()
            if moment is None or not _allowed(child, moment, cutoff):
                break
            previous = moment.date()
            if not _in_window(child, moment):
                continue  # given elsewhere, not recorded here
            at_birth_unit = hospital and dose.min_age_months == 0 and moment - birth < timedelta(hours=72)
            unit = birth_unit if at_birth_unit else child.clinic_at(moment)
            assert unit is not None
            code = _product(rng, dose.recommended_vaccine_code, positive)
            if category == "03" and dose.dose_no == 2 and birth_date < TWO_IPV_FROM_BIRTH:
                code = "0311"  # 1 IPV + 3 bOPV era
            prop = "1" if (category, dose.dose_no) in BOOSTERS else "0"
            out.emit(child, code, dose.dose_no, moment, unit, dose.route_code, dose.site_code, prop, True,
                     birth_dose=at_birth_unit)
            if positive and category == "02" and dose.dose_no == 1 and at_birth_unit and rng.random() < 0.9:
                hbig_at = moment + timedelta(minutes=rng.randint(1, 20))
                if _allowed(child, hbig_at, cutoff):
                    out.emit(child, "3901", 1, hbig_at, unit, "2", "5", "0", True)

    for series in NON_NIP:
        if rng.random() >= series.uptake:
            continue
        previous = None
        for number, months in enumerate(series.ages_months, start=1):
            due = add_months(birth_date, months)
            if previous is not None:
                due = max(due, previous + timedelta(days=series.interval_days))
            if number > 1 and rng.random() < 0.15:
                break
            moment = _clinic_time(rng, due + timedelta(days=int(rng.expovariate(1 / 20))))
            if not _allowed(child, moment, cutoff):
                break
            previous = moment.date()
            if _in_window(child, moment):
                out.emit(child, series.vaccine_code, number, moment, child.clinic_at(moment), series.route_code,
                         series.site_code, "0", False)


def _next_moment(
    rng: random.Random, child: Child, dose: ScheduleDose, previous: date | None, hospital: bool, positive: bool
) -> datetime | None:
    """When the dose is given, or None when the child missed it (the series stops)."""
    birth = child.birth_at
    birth_date = birth.date()
    if dose.min_age_months == 0 and dose.min_age_days == 0:  # birth doses: HepB1, BCG
        if rng.random() < 0.005:
            return None
        if hospital and rng.random() < (0.97 if dose.category_code == "02" else 0.85):
            limit = 11 if (positive or child.mother_hbsag == "3") else 20
            return birth + timedelta(minutes=rng.randint(20, limit * 60))
        if dose.category_code == "02":
            return _clinic_time(rng, birth_date + timedelta(days=rng.randint(2, 20)))
        days = rng.randint(3, 80) if rng.random() < 0.9 else rng.randint(91, 200)
        return _clinic_time(rng, birth_date + timedelta(days=days))
    if rng.random() < 0.01 + 0.0015 * dose.min_age_months:
        return None
    due = dose.min_age_date(birth_date)
    if previous is not None and dose.min_interval_days:
        due = max(due, previous + timedelta(days=dose.min_interval_days))
    completion = dose.completion_date(birth_date)
    if rng.random() < TIMELY_SHARE:
        delay = int(rng.expovariate(1 / 7))
        room = (completion - due).days - 1
        if delay > room:
            delay = rng.randint(0, room) if room > 0 else 0
        day = due + timedelta(days=delay)
    else:
        day = max(due, completion) + timedelta(days=rng.randint(1, 180))
    return _clinic_time(rng, day)
