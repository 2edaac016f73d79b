"""Generator extension: obstetric newborn records (ops.newborn, DOMAIN.md §1.3, §8.5).

Every hospital birth in the province (``child.hospital_birth``, not a temporary/visiting child) gets one
record at its birth hospital's obstetric unit, consistent with the child's vaccination rows:
- the obstetric unit is the unit of the birth doses given there (else one of the county's obstetric units);
- HepB1 / BCG / HBIG are "given" exactly when ops.vaccination has that dose at the obstetric unit, with the
  same time; otherwise a 未种原因 is recorded (low birth weight → mostly 早产/低体重);
- the mother's HBsAg is the delivery test: the true status; for 3 (不详) mothers ~20% were tested at
  delivery and found negative (so the obstetric value differs from the clinic card, and takes priority);
- ``recipient_id`` is filled when the clinic took the record over (1–20 days after creation, before the
  cutoff); recent records still have none.
Fault ``newborn_reason_missing``: a birth dose not given and no reason recorded.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from vaxdw import idcard
from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.recipients import Child

OTHER_REASONS = ("02", "03", "04", "05")
OTHER_WEIGHTS = (0.25, 0.35, 0.15, 0.25)
LOW_WEIGHT_G = {"hepb": 2000, "bcg": 2500}


def obstetric_units(ctx: Any) -> frozenset[str]:
    cache = ctx.__dict__.get("_obstetric_units")
    if cache is None:
        cache = frozenset(u.unit_id for u in ctx.world.units.units if u.unit_type == "obstetric")
        ctx.__dict__["_obstetric_units"] = cache
    return cache


def _reason(rng: random.Random, weight: int | None, low_limit: int) -> str:
    if weight is not None and weight < low_limit and rng.random() < 0.75:
        return "01"
    return rng.choices(OTHER_REASONS, OTHER_WEIGHTS)[0]


class NewbornExtension:
    name = "newborn"
    tables = ("newborn",)

    def on_child(self, ctx: Any, child: Child, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        if not child.hospital_birth or child.window is not None or child.birth_at >= ctx.cutoff:
            return
        units = obstetric_units(ctx)
        birth = child.birth_at
        hepb1 = bcg = hbig = None
        unit_id = None
        for row in doses:
            code, dose_no, moment, unit = row[2], row[3], row[4], row[5]
            if unit not in units or moment - birth > timedelta(hours=72):
                continue
            unit_id = unit
            if code[:2] == "02" and dose_no == 1:
                hepb1 = moment
            elif code[:2] == "01" and dose_no == 1:
                bcg = moment
            elif code[:2] == "39":
                hbig = moment
        if unit_id is None:
            pool = ctx.world.units.obstetric_of_county[child.county_code]
            unit_id = pool[rng.randrange(len(pool))]
        newborn_id = next_id(ctx, "newborn")
        weight = child.birth_weight_g
        hepb1_reason = None if hepb1 else _reason(rng, weight, LOW_WEIGHT_G["hepb"])
        bcg_reason = None if bcg else _reason(rng, weight, LOW_WEIGHT_G["bcg"])
        rate = ctx.fault_rates.get("newborn_reason_missing", 0.0)
        if hepb1_reason and rng.random() < rate:
            hepb1_reason = None
            faults.record("newborn_reason_missing", newborn_id, "HepB1 not given, no reason")
        if bcg_reason and rng.random() < rate:
            bcg_reason = None
            faults.record("newborn_reason_missing", newborn_id, "BCG not given, no reason")
        hbsag = child.mother_hbsag
        if hbsag == "3" and rng.random() < 0.2:
            hbsag = "2"
        mother_birth = birth.date() - timedelta(days=rng.randint(20 * 365, 40 * 365))
        county = (child.household_code or child.county_code)[:6]
        mother_id = idcard.make_id(county, mother_birth, rng.randrange(0, 500), "2") if rng.random() < 0.95 else None
        created = birth + timedelta(minutes=rng.randint(10, 6 * 60))
        moments = [created] + [m for m in (hepb1, bcg, hbig) if m is not None]
        updated = max(moments)
        taken_over = max(created + timedelta(days=rng.randint(1, 20)), child.created_at or created)
        recipient_id = None
        if taken_over < ctx.cutoff:
            recipient_id, updated = child.recipient_id, max(updated, taken_over)
        if updated >= ctx.cutoff:
            return
        suffix = "之子" if child.sex == "1" else "之女"
        emit("newborn", (
            newborn_id, unit_id, f"{child.mother_name}{suffix}" if child.mother_name else None, child.sex, birth,
            weight, child.mother_name or "不详", mother_id, hbsag,
            hepb1 is not None, hepb1, hepb1_reason, bcg is not None, bcg, bcg_reason, hbig is not None, hbig,
            child.household_code, child.residence_code, recipient_id, rng.random() < 0.002, created, updated,
        ))


EXTENSION = NewbornExtension()
