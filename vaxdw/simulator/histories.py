"""Generator extension: contraindications, infectious-disease and allergy histories, and the operation
log of record edits.

- contraindication: 3% of children (two thirds temporary 暂缓接种 for 3–30 days, e.g. fever);
- infection_history: 2% (varicella and hand-foot-mouth disease most often);
- allergy_history: 1.5%;
- operation_log: an edit of the recipient record for 6% of children, batch-number corrections of 1.5%
  of doses, and a delete entry for every deleted dose (by a vaccinator of the dose's unit).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from vaxdw.simulator.event_code_tables import ALLERGENS, CONTRAINDICATIONS, INFECTIOUS_DISEASES
from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.recipients import Child

REACTIONS = ("皮疹", "荨麻疹", "呕吐腹泻", "喉头水肿", "湿疹加重")
RECIPIENT_EDITS = ("recipient_name", "id_number", "residence_township_code", "mother_hbsag", "birth_weight")
TEMPORARY = ("C01", "C02")
INFECTION_WEIGHTS = (0.45, 0.35, 0.04, 0.08, 0.05, 0.03)


def _moment_after(rng: random.Random, start: datetime, cutoff: datetime) -> datetime | None:
    span = int((cutoff - start).total_seconds()) - 60
    return start + timedelta(seconds=rng.randrange(span)) if span > 0 else None


class HistoryExtension:
    name = "histories"
    tables = ("contraindication", "infection_history", "allergy_history", "operation_log")

    def on_child(self, ctx: Any, child: Child, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        cutoff = ctx.cutoff
        created = child.created_at or child.birth_at
        recipient_id = child.recipient_id
        vaccinators = ctx.world.staff.vaccinators
        if rng.random() < 0.03:
            at = _moment_after(rng, created, cutoff)
            if at is not None:
                code = rng.choice(TEMPORARY) if rng.random() < 0.67 else rng.choice(tuple(CONTRAINDICATIONS)[2:])
                until = (at + timedelta(days=rng.randint(3, 30))).date() if code in TEMPORARY else None
                vaccine = None if code in TEMPORARY or rng.random() < 0.5 else rng.choice(("1201", "1801", "2201"))
                emit("contraindication", (
                    next_id(ctx, "contraindication"), recipient_id, child.clinic_at(at), code, vaccine, at, until,
                    False, at, at,
                ))
        if rng.random() < 0.02:
            at = _moment_after(rng, created + timedelta(days=90), cutoff)
            if at is not None:
                code = rng.choices(tuple(INFECTIOUS_DISEASES), INFECTION_WEIGHTS)[0]
                diagnosed = (at - timedelta(days=rng.randint(0, 60))).date()
                emit("infection_history", (
                    next_id(ctx, "infection_history"), recipient_id, child.clinic_at(at), code,
                    max(diagnosed, child.birth_at.date()), at, False, at, at,
                ))
        if rng.random() < 0.015:
            at = _moment_after(rng, created, cutoff)
            if at is not None:
                emit("allergy_history", (
                    next_id(ctx, "allergy_history"), recipient_id, child.clinic_at(at), rng.choice(tuple(ALLERGENS)),
                    rng.choice(REACTIONS), at, False, at, at,
                ))
        if rng.random() < 0.06:
            at = _moment_after(rng, created, cutoff)
            if at is not None:
                unit = child.clinic_at(at)
                pool = vaccinators.get(unit)
                emit("operation_log", (
                    next_id(ctx, "operation_log"), recipient_id, unit, pool[rng.randrange(len(pool))] if pool else None,
                    at, "recipient", str(recipient_id), "update", rng.choice(RECIPIENT_EDITS), at,
                ))
        for dose in doses:
            deleted = dose[16]
            if not deleted and rng.random() >= 0.015:
                continue
            at = dose[18] if deleted else _moment_after(rng, dose[14], cutoff)
            if at is None:
                continue
            pool = vaccinators.get(dose[5])
            emit("operation_log", (
                next_id(ctx, "operation_log"), recipient_id, dose[5], pool[rng.randrange(len(pool))] if pool else None,
                at, "vaccination", str(dose[0]), "delete" if deleted else "update",
                None if deleted else "batch_no", at,
            ))


EXTENSION = HistoryExtension()
