"""Staff: vaccinators (接种医生) and registrars (登记人员) of clinics and obstetric units."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from vaxdw import idcard
from vaxdw.simulator import names
from vaxdw.simulator.units import UnitModel

STAFF_ROLES = {"vaccinator": "接种医生", "registrar": "登记人员"}


@dataclass(frozen=True)
class Staff:
    staff_id: int
    unit_id: str
    staff_name: str
    id_number: str
    sex: str
    staff_role: str
    is_deleted: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class StaffModel:
    staff: list[Staff]
    vaccinators: dict[str, list[int]]  # unit_id → active vaccinators


def build_staff(units: UnitModel, seed: int) -> StaffModel:
    rng = random.Random(f"{seed}:staff")
    staff: list[Staff] = []
    vaccinators: dict[str, list[int]] = {}
    used: set[str] = set()
    for unit in units.units:
        if unit.unit_type not in ("clinic", "obstetric"):
            continue
        roles = ["vaccinator"] * rng.randint(2, 5) + ["registrar"] * rng.randint(1, 2)
        for position, role in enumerate(roles):
            sex = "2" if rng.random() < 0.8 else "1"
            while True:
                birth = date(1965, 1, 1) + timedelta(days=rng.randrange(35 * 365))
                number = idcard.make_id(unit.county_code, birth, rng.randrange(500), sex)
                if number not in used:
                    used.add(number)
                    break
            created = datetime(2010, 1, 1, 9) + timedelta(days=rng.randrange(3650), minutes=rng.randrange(480))
            deleted = position > 0 and rng.random() < 0.04  # the first vaccinator always stays
            member = Staff(len(staff) + 1, unit.unit_id, names.adult_name(rng, sex), number, sex, role, deleted,
                           created, created + timedelta(days=rng.randrange(400)))
            staff.append(member)
            if role == "vaccinator" and not deleted:
                vaccinators.setdefault(unit.unit_id, []).append(member.staff_id)
    return StaffModel(staff, vaccinators)
