"""Units: provincial, city and county CDCs, vaccination clinics (接种门诊) and obstetric units (产科).

unit_id = region code + 4 digits: 0001 the CDC, 1001+ clinics (15xx closed clinics of merged
townships), 2001+ obstetric units. Parent chain: clinic/obstetric → county CDC → city CDC →
provincial CDC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime

from vaxdw.simulator.regions import PROVINCE_CODE, RegionModel

UNIT_TYPES = {
    "prov_cdc": "省疾控中心",
    "city_cdc": "市疾控中心",
    "county_cdc": "县(区)疾控中心",
    "clinic": "预防接种门诊",
    "obstetric": "产科(接种室)",
}

HOSPITALS = ("人民医院", "妇幼保健院", "中医医院", "第二人民医院", "中心医院")


@dataclass(frozen=True)
class Unit:
    unit_id: str
    unit_name: str
    unit_type: str
    township_code: str | None
    county_code: str
    parent_unit_id: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class UnitModel:
    units: list[Unit]
    clinic_of_township: dict[str, str]  # current township → its clinic
    # Current township → (closed clinic of a merged predecessor, date it closed)
    closed_clinic_of_township: dict[str, tuple[str, date]] = field(default_factory=dict)
    obstetric_of_county: dict[str, list[str]] = field(default_factory=dict)
    clinics_of_county: dict[str, list[str]] = field(default_factory=dict)

    def by_id(self) -> dict[str, Unit]:
        return {unit.unit_id: unit for unit in self.units}


def _cdc_id(region_code: str) -> str:
    return region_code + "0001"


def build_units(model: RegionModel, seed: int) -> UnitModel:
    rng = random.Random(f"{seed}:units")
    created = datetime(2008, 1, 1, 9, 0)
    updated = datetime(2015, 3, 1, 9, 0)
    units = [
        Unit(_cdc_id(PROVINCE_CODE), "陕西省疾病预防控制中心", "prov_cdc", None, PROVINCE_CODE, None, True, created, updated)
    ]
    for region in model.regions:
        if region.level == 2:
            units.append(
                Unit(_cdc_id(region.code), f"{region.name}疾病预防控制中心", "city_cdc", None, region.code,
                     _cdc_id(PROVINCE_CODE), True, created, updated)
            )
    result = UnitModel(units, {})
    historic = {t.code: t for t in model.historic_townships}
    for county in model.counties:
        cdc = _cdc_id(county.code)
        county_townships = [t for t in model.townships if t.county_code == county.code]
        seat = county_townships[0].code
        units.append(
            Unit(cdc, f"{county.name}疾病预防控制中心", "county_cdc", seat, county.code,
                 _cdc_id(model.city_of(county.code)), True, created, updated)
        )
        clinic_no = 1001
        clinics: list[str] = []
        for index, township in enumerate(county_townships):
            if index > 0 and clinics and rng.random() < 0.08:
                result.clinic_of_township[township.code] = clinics[-1]  # shares a neighbour's clinic
                continue
            unit_id = f"{county.code}{clinic_no:04d}"
            clinic_no += 1
            kind = "社区卫生服务中心" if township.name.endswith("街道") else "卫生院"
            units.append(
                Unit(unit_id, f"{township.name}{kind}预防接种门诊", "clinic", township.code, county.code, cdc, True,
                     created, updated)
            )
            clinics.append(unit_id)
            result.clinic_of_township[township.code] = unit_id
        result.clinics_of_county[county.code] = clinics
        # Closed clinics: the first merged predecessor of each merged township had its own clinic.
        closed_no = 1501
        for township in county_townships:
            merged = [(old, end) for old, _, end in township.predecessors if old[:6] == county.code]
            if not merged:
                continue
            old_code, closed_on = merged[0]
            unit_id = f"{county.code}{closed_no:04d}"
            closed_no += 1
            closed_at = datetime.combine(closed_on, datetime.min.time()).replace(hour=9)
            units.append(
                Unit(unit_id, f"{historic[old_code].name}卫生院预防接种门诊", "clinic", old_code, county.code, cdc,
                     False, created, closed_at)
            )
            result.closed_clinic_of_township[township.code] = (unit_id, closed_on)
        # Obstetric units: more in big districts.
        weight = model.county_weight[county.code]
        obstetric: list[str] = []
        for number in range(1 if weight < 1 else 2 if weight < 2 else 4):
            unit_id = f"{county.code}{2001 + number:04d}"
            township = county_townships[min(number, len(county_townships) - 1)].code
            units.append(
                Unit(unit_id, f"{county.name}{HOSPITALS[number]}产科", "obstetric", township, county.code, cdc, True,
                     created, updated)
            )
            obstetric.append(unit_id)
        result.obstetric_of_county[county.code] = obstetric
    return result
