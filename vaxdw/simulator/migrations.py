"""Generator extension: in-province migrations (ops.migration, DOMAIN.md §8.8).

- Accepted: every move of a child whose current status is 外地转来 (10) between two different clinics
  (``register_changes.moves_of`` kind ``transfer_in``); decided_at is the move, so the register-change
  rows (from-unit 2, to-unit 10) fall on the acceptance. Initiated 2 hours to ~2 weeks before.
- Not accepted: ~2.5% of in-register children get a request from their clinic to another clinic of the
  province that was rejected or withdrawn, or is still pending (recent requests; some overdue).
Fault ``migration_decided_before_initiated``: a rejection dated before its request.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from vaxdw.simulator.event_code_tables import MIGRATION_REASONS
from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.recipients import Child
from vaxdw.simulator.register_changes import moves_of

REASON_CODES = tuple(MIGRATION_REASONS)
REASON_WEIGHTS = (0.55, 0.2, 0.15, 0.05, 0.05)
REJECT_REASONS = ("查无此人", "不在本辖区居住", "信息不全，请补充现住址", "重复申请", "监护人未到场确认")
OPEN_REQUEST_SHARE = 0.025
PENDING_WINDOW_DAYS = 30


def registrars(ctx: Any) -> dict[str, list[int]]:
    cache = ctx.__dict__.get("_registrars")
    if cache is None:
        cache = {}
        for member in ctx.world.staff.staff:
            if member.staff_role == "registrar" and not member.is_deleted:
                cache.setdefault(member.unit_id, []).append(member.staff_id)
        ctx.__dict__["_registrars"] = cache
    return cache


def _staff(rng: random.Random, pool: list[int] | None) -> int | None:
    return pool[rng.randrange(len(pool))] if pool else None


class MigrationExtension:
    name = "migration"
    tables = ("migration",)

    def on_child(self, ctx: Any, child: Child, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        cutoff = ctx.cutoff
        created = child.created_at or child.birth_at
        staff = registrars(ctx)
        for move in moves_of(ctx, child):
            if move.kind != "transfer_in" or move.from_unit == move.to_unit:
                continue
            hours = min(24 * 20, rng.lognormvariate(3.2, 1.0))
            initiated = max(created + timedelta(minutes=1), move.moved_at - timedelta(hours=hours))
            initiated = min(initiated, move.moved_at - timedelta(minutes=1))
            reason = rng.choices(REASON_CODES, REASON_WEIGHTS)[0]
            emit("migration", (
                next_id(ctx, "migration"), child.recipient_id, move.from_unit, move.to_unit, initiated,
                _staff(rng, staff.get(move.from_unit)), "accepted", move.moved_at, None, reason, None, False,
                initiated, move.moved_at,
            ))
        if child.register_status not in (1, 6, 7, 10) or rng.random() >= OPEN_REQUEST_SHARE:
            return
        start = max(created, cutoff - timedelta(days=3 * 365)) + timedelta(days=1)
        span = int((cutoff - start).total_seconds()) - 3600
        if span <= 0:
            return
        recent = rng.random() < 0.35
        if recent:
            initiated = cutoff - timedelta(seconds=rng.randrange(PENDING_WINDOW_DAYS * 86400))
        else:
            initiated = start + timedelta(seconds=rng.randrange(span))
        initiated = max(initiated, created + timedelta(minutes=1))
        from_unit = child.clinic_at(initiated)
        clinics = ctx.world.all_clinics
        to_unit = clinics[rng.randrange(len(clinics))]
        if to_unit == from_unit:
            return
        decided = withdrawn = None
        reject_reason = None
        waited = initiated + timedelta(hours=min(24 * 40, rng.lognormvariate(3.8, 1.1)))
        if recent and rng.random() < 0.6 or waited >= cutoff:
            status = "pending"
        elif rng.random() < 0.55:
            status, decided, reject_reason = "rejected", waited, rng.choice(REJECT_REASONS)
            if rng.random() < ctx.fault_rates.get("migration_decided_before_initiated", 0.0):
                decided = initiated - timedelta(hours=rng.randint(1, 72))
                faults.record("migration_decided_before_initiated", next_id_peek(ctx),
                              f"rejected {initiated - decided} before the request")
        else:
            status, withdrawn = "withdrawn", waited
        updated = max(moment for moment in (initiated, decided, withdrawn) if moment is not None)
        emit("migration", (
            next_id(ctx, "migration"), child.recipient_id, from_unit, to_unit, initiated,
            _staff(rng, staff.get(from_unit)), status, decided, withdrawn,
            rng.choices(REASON_CODES, REASON_WEIGHTS)[0], reject_reason, False, initiated, updated,
        ))


def next_id_peek(ctx: Any) -> int:
    return ctx.__dict__.get("_extension_ids", {}).get("migration", 1)


EXTENSION = MigrationExtension()
