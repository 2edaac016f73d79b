"""Rows of the small tables: regions, township changes, units, code tables, staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

from vaxdw.simulator.code_tables import MANUFACTURERS, VACCINES
from vaxdw.simulator.context import World

CODE_TABLE_UPDATED_AT = datetime(2020, 1, 1, 9, 0)


def _stamp(*days: date | None) -> datetime:
    known = [day for day in days if day is not None]
    return datetime.combine(max(known) if known else date(2015, 1, 1), time(9, 0))


def region_rows(world: World) -> Iterator[tuple]:
    for region in world.regions.regions:
        yield (region.code, region.name, region.level, region.parent_code, region.valid_from, region.valid_to,
               _stamp(region.valid_from, region.valid_to))
    for township in sorted(world.regions.townships + world.regions.historic_townships, key=lambda t: t.code):
        yield (township.code, township.name, 4, township.county_code, township.valid_from, township.valid_to,
               _stamp(township.valid_from, township.valid_to))


def township_change_rows(world: World) -> Iterator[tuple]:
    for change in world.regions.changes:
        yield (change.change_id, change.old_code, change.new_code, change.change_type, change.effective_date,
               datetime.combine(change.effective_date, time(10, 0)))


def unit_rows(world: World) -> Iterator[tuple]:
    for unit in world.units.units:
        yield (unit.unit_id, unit.unit_name, unit.unit_type, unit.township_code, unit.county_code,
               unit.parent_unit_id, unit.is_active, unit.created_at, unit.updated_at)


def vaccine_rows() -> Iterator[tuple]:
    for vaccine in VACCINES:
        yield (vaccine.code, vaccine.name, vaccine.abbr, vaccine.category_code, vaccine.is_nip, CODE_TABLE_UPDATED_AT)


def manufacturer_rows() -> Iterator[tuple]:
    for code, name in MANUFACTURERS:
        yield (code, name, CODE_TABLE_UPDATED_AT)


def staff_rows(world: World) -> Iterator[tuple]:
    for member in world.staff.staff:
        yield (member.staff_id, member.unit_id, member.staff_name, member.id_number, member.sex, member.staff_role,
               member.is_deleted, member.created_at, member.updated_at)
