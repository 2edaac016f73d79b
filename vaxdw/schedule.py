"""The NIP childhood immunization schedule, read from ``dbt_project/seeds/ref_schedule_dose.csv``.

The CSV is the single source of truth (dbt seeds it into the warehouse; Python reads it here).
Two versions exist: 2021 and 2025 (the DTaP change, DOMAIN.md §1.1). Which birth cohorts follow
2025 is UNCONFIRMED; ``schedule_for`` takes the switch date as a parameter (default 2025-01-01).
"""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from vaxdw.settings import PROJECT_ROOT

SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds"
SCHEDULE_CSV = SEEDS_DIR / "ref_schedule_dose.csv"

# UNCONFIRMED (DOMAIN.md §1.1): children born on/after this date follow the 2025 schedule.
DEFAULT_2025_SWITCH = date(2025, 1, 1)


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamped to the month's last day (2024-01-31 + 1 month = 2024-02-29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


@dataclass(frozen=True)
class ScheduleDose:
    schedule_version: str
    category_code: str
    category_name: str
    dose_no: int
    recommended_vaccine_code: str
    min_age_months: int
    min_age_days: int
    completion_age_months: int | None
    completion_age_hours: int | None
    min_interval_days: int | None
    route_code: str
    site_code: str
    source_status: str

    def min_age_date(self, birth_date: date) -> date:
        """Earliest date the dose may be given (minimum age)."""
        return add_months(birth_date, self.min_age_months) + timedelta(days=self.min_age_days)

    def completion_date(self, birth_date: date) -> date:
        """Date by which the dose counts as timely (exclusive: a dose on this date is late).

        For hour-based limits (HepB1: 24 h) the date-only rule of DOMAIN.md §1.2 is used:
        timely when given on or before birth date + 1 day.
        """
        if self.completion_age_hours is not None:
            return birth_date + timedelta(days=self.completion_age_hours // 24 + 1)
        assert self.completion_age_months is not None
        return add_months(birth_date, self.completion_age_months)

    @property
    def key(self) -> tuple[str, int]:
        return (self.category_code, self.dose_no)


@dataclass(frozen=True)
class Schedule:
    version: str
    doses: tuple[ScheduleDose, ...]

    def series(self) -> dict[str, list[ScheduleDose]]:
        """Doses grouped by vaccine category, in dose order."""
        result: dict[str, list[ScheduleDose]] = {}
        for dose in sorted(self.doses, key=lambda d: (d.category_code, d.dose_no)):
            result.setdefault(dose.category_code, []).append(dose)
        return result

    def dose(self, category_code: str, dose_no: int) -> ScheduleDose:
        for candidate in self.doses:
            if candidate.category_code == category_code and candidate.dose_no == dose_no:
                return candidate
        raise KeyError((self.version, category_code, dose_no))


def load_doses(path: Path = SCHEDULE_CSV) -> list[ScheduleDose]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            ScheduleDose(
                schedule_version=row["schedule_version"],
                category_code=row["category_code"],
                category_name=row["category_name"],
                dose_no=int(row["dose_no"]),
                recommended_vaccine_code=row["recommended_vaccine_code"],
                min_age_months=int(row["min_age_months"]),
                min_age_days=int(row["min_age_days"] or 0),
                completion_age_months=_int_or_none(row["completion_age_months"]),
                completion_age_hours=_int_or_none(row["completion_age_hours"]),
                min_interval_days=_int_or_none(row["min_interval_days"]),
                route_code=row["route_code"],
                site_code=row["site_code"],
                source_status=row["source_status"],
            )
            for row in csv.DictReader(handle)
        ]


@lru_cache(maxsize=4)
def schedules(path: Path = SCHEDULE_CSV) -> dict[str, Schedule]:
    """All schedule versions in the CSV, by version."""
    by_version: dict[str, list[ScheduleDose]] = {}
    for dose in load_doses(path):
        by_version.setdefault(dose.schedule_version, []).append(dose)
    return {version: Schedule(version, tuple(doses)) for version, doses in by_version.items()}


def version_for(birth_date: date, switch_2025: date = DEFAULT_2025_SWITCH) -> str:
    return "2025" if birth_date >= switch_2025 else "2021"


def schedule_for(birth_date: date, switch_2025: date = DEFAULT_2025_SWITCH, path: Path = SCHEDULE_CSV) -> Schedule:
    """The schedule a child born on ``birth_date`` follows."""
    return schedules(path)[version_for(birth_date, switch_2025)]
