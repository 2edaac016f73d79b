"""Generator extension: each child's register-change history (在册情况变更, ops.register_change).

The history is derived from the generated child so that it ends in the child's current
``register_status`` and its moves match ``Child.earlier_clinics`` (the clinics the doses were
given at):

- record creation (建档): status 1 at the first managing clinic (8/9 for 异地/临时接种 children);
- a move between clinics: from-unit 1 → 2 (迁出) and to-unit 2 → 10 (外地转来) when the child's
  current status is 10 (an accepted in-province migration, see ``vaxdw.simulator.migrations``),
  otherwise 2 → 1 (县内调整管理单位: re-registered as 本地);
- the closing of a merged township's clinic: the child is handed to the successor clinic
  (1 → 1, 单位撤并), no migration;
- then 入学 6 / 入托 7 after the age of 6 / 3, or 迁出 2 / 临时外转 3 / 死亡 4 at ``left_at``, or 删除 5.

Duplicate records (a fault of the recipient table) have no history. Fault
``register_history_incomplete`` drops a child's last change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.recipients import Child

REASONS = {
    "created": "建档",
    "transfer_out": "迁出",
    "transfer_in": "外地转来",
    "reassigned": "县内调整管理单位",
    "unit_merged": "单位撤并转管",
    "school": "入学",
    "kindergarten": "入托",
    "temporary_away": "临时外转",
    "death": "死亡",
    "deleted": "删除",
}
TERMINAL_REASON = {2: "transfer_out", 3: "temporary_away", 4: "death"}
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Move:
    """One change of managing clinic at ``moved_at``."""

    from_unit: str
    to_unit: str
    moved_at: datetime
    kind: str  # transfer_in (accepted migration, to-unit status 10), reassigned, unit_merged


def _closed_clinics(ctx: Any) -> set[str]:
    cache = ctx.__dict__.get("_closed_clinics")
    if cache is None:
        cache = {unit.unit_id for unit in ctx.world.units.units if unit.unit_type == "clinic" and not unit.is_active}
        ctx.__dict__["_closed_clinics"] = cache
    return cache


def moves_of(ctx: Any, child: Child) -> list[Move]:
    """The child's moves between clinics, in time order; used by register changes and migrations."""
    closed = _closed_clinics(ctx)
    created = child.created_at
    units = [unit for _, unit in child.earlier_clinics] + [child.managing_unit_id]
    moves: list[Move] = []
    real = [i for i, (_, unit) in enumerate(child.earlier_clinics) if unit not in closed]
    for i, (until, unit) in enumerate(child.earlier_clinics):
        to_unit = units[i + 1]
        if created is not None and until <= created:
            continue  # before the record existed
        if unit in closed:
            kind = "unit_merged"
        elif child.register_status == 10 and i == real[-1]:
            kind = "transfer_in"
        else:
            kind = "reassigned"
        # a move the child model puts after as_of (a very young child) happens at its last moment
        moves.append(Move(unit, to_unit, min(until, ctx.cutoff - 2 * ONE_SECOND), kind))
    return moves


class RegisterChangeExtension:
    name = "register_change"
    tables = ("register_change",)

    def on_child(self, ctx: Any, child: Child, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        cutoff = ctx.cutoff
        created = child.created_at or child.birth_at
        status = child.register_status
        initial_unit = child.clinic_at(created)
        # (moment, unit, new_status, reason); previous statuses follow from the order.
        events: list[tuple[datetime, str, int, str]] = [
            (created, initial_unit, status if status in (8, 9) else 1, "created")
        ]
        current = events[0][2]
        for move in moves_of(ctx, child):
            moment = max(move.moved_at, events[-1][0] + ONE_SECOND)
            if move.from_unit == move.to_unit and move.kind != "transfer_in":
                continue
            if move.kind == "unit_merged":
                events.append((moment, move.to_unit, current, "unit_merged"))
                continue
            if move.from_unit != move.to_unit:
                events.append((moment, move.from_unit, 2, "transfer_out"))
            current = 10 if move.kind == "transfer_in" else 1
            events.append((moment + ONE_SECOND, move.to_unit, current, move.kind))
        last = events[-1][0]
        if status in TERMINAL_REASON and child.left_at is not None:
            moment = max(child.left_at, last + ONE_SECOND)
            events.append((moment, child.clinic_at(moment), status, TERMINAL_REASON[status]))
        elif status in (5, 6, 7):
            start = last + ONE_SECOND
            if status in (6, 7):
                birthday = child.birth_at + timedelta(days=round(365.25 * (6 if status == 6 else 3)))
                start = max(start, birthday)
            span = int((cutoff - start).total_seconds()) - 2
            moment = start + timedelta(seconds=rng.randrange(span)) if span > 0 else start
            reason = {5: "deleted", 6: "school", 7: "kindergarten"}[status]
            events.append((moment, child.managing_unit_id, status, reason))
        if len(events) > 1 and events[-1][2] != events[-2][2] and rng.random() < ctx.fault_rates.get(
            "register_history_incomplete", 0.0
        ):
            dropped = events.pop()
            faults.record("register_history_incomplete", child.recipient_id,
                          f"last change to {dropped[2]} ({dropped[3]}) at {dropped[0]:%Y-%m-%d %H:%M:%S} missing")
        previous: int | None = None
        for moment, unit, new_status, reason in events:
            emit("register_change", change_row(ctx, rng, child.recipient_id, unit, previous, new_status, moment,
                                               reason))
            previous = new_status


def change_row(ctx: Any, rng: random.Random, recipient_id: int, unit_id: str, previous: int | None,
               new_status: int, moment: datetime, reason: str) -> tuple:
    """One ops.register_change row, entered 5 s – 15 min after the change (both before the cutoff).

    Shared by the whole-history extension and the daily simulation (vaxdw.simulator.days)."""
    cutoff = ctx.cutoff
    moment = min(moment, cutoff - ONE_SECOND)
    entered = min(moment + timedelta(seconds=rng.randrange(5, 900)), cutoff - ONE_SECOND)
    return (next_id(ctx, "register_change"), recipient_id, unit_id, previous, new_status, moment, reason, False,
            entered, entered)


EXTENSION = RegisterChangeExtension()
