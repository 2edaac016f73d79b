"""What every generator module shares: the fixed world (regions, units, staff) and the run settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from vaxdw.schedule import DEFAULT_2025_SWITCH
from vaxdw.simulator.regions import COUNTY_RECODES, RegionModel, Township, build_regions
from vaxdw.simulator.staff import StaffModel, build_staff
from vaxdw.simulator.units import UnitModel, build_units


@dataclass
class World:
    regions: RegionModel
    units: UnitModel
    staff: StaffModel
    township_by_code: dict[str, Township] = field(default_factory=dict)
    all_clinics: list[str] = field(default_factory=list)
    townships_of_county: dict[str, list[Township]] = field(default_factory=dict)

    @classmethod
    def build(cls, seed: int) -> World:
        regions = build_regions(seed)
        units = build_units(regions, seed)
        world = cls(regions, units, build_staff(units, seed))
        world.township_by_code = {t.code: t for t in regions.townships}
        for township in regions.townships:
            world.townships_of_county.setdefault(township.county_code, []).append(township)
        world.all_clinics = [u.unit_id for u in units.units if u.unit_type == "clinic" and u.is_active]
        return world


_RECODED = {new: (old, day) for old, _, new, day in COUNTY_RECODES}


def county_code_on(county_code: str, day: date) -> str:
    """The GB code a county had on ``day`` (old code before a re-coding)."""
    if county_code in _RECODED and day < _RECODED[county_code][1]:
        return _RECODED[county_code][0]
    return county_code


@dataclass
class GenContext:
    seed: int
    as_of: date
    world: World
    fault_rates: dict[str, float]
    switch_2025: date = DEFAULT_2025_SWITCH
    next_recipient_id: int = 1
    next_vaccination_id: int = 1
    # Scratch tables of a whole generation (vaxdw.simulator.scratch); None in the daily simulation,
    # which keeps its one day in memory.
    scratch: Any = None

    @property
    def cutoff(self) -> datetime:
        """Exclusive upper bound of every timestamp: the end of ``as_of``."""
        return datetime.combine(self.as_of + timedelta(days=1), datetime.min.time())
