"""Generator extension: what happens around each visit (recipient × unit × vaccination date).

- ops.visit_registration (97% of visits): registered 3–40 min before the first dose; the guardian's
  e-signature (DOMAIN.md §8.4) only once the unit has a signature pad (each unit adopts on its own
  date, 2019–2023): then 88% sign before the first dose, 4% after it, 8% not at all.
- ops.vaccination_sign (per dose, signature-pad units only): 90% within 15 min after the dose, 3% late
  (2–6 h), 2% before the registration signature (out of order), 5% unsigned.
- ops.observation (92% of visits, DOMAIN.md §8.3): starts 0–4 min after the last dose (10%: 6–20 min),
  lasts 30–45 min (15% leave after 5–29 min; 2% never signed out); AEFI during observation 0.4%.
- ops.aefi: the observation AEFIs plus later-onset ones (0.1% of doses).
- ops.service_evaluation (visits from 2022 on, 40%): 55% rated actively (mostly 5), the rest get the
  system's default 5 seven days later.
Faults: observation_end_before_start, vaccination_sign_orphan, rating_out_of_range.
"""

from __future__ import annotations

import random
import zlib
from datetime import date, datetime, timedelta
from typing import Any

from vaxdw.simulator.event_code_tables import AEFI_TYPES
from vaxdw.simulator.event_ids import next_id
from vaxdw.simulator.migrations import registrars
from vaxdw.simulator.recipients import Child

EVALUATION_FROM = date(2022, 1, 1)
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (0.72, 0.18, 0.06, 0.02, 0.02)
COMMENTS = ("服务态度好", "排队时间长", "环境整洁", "医生很耐心", "预约方便", None, None, None)
AEFI_CODES = tuple(AEFI_TYPES)
AEFI_WEIGHTS = (0.45, 0.25, 0.12, 0.1, 0.05, 0.02, 0.01)
ORPHAN_OFFSET = 1_000_000_000
MINUTE = timedelta(minutes=1)


def pad_adopted_on(unit_id: str) -> date:
    """The day a unit started using a signature pad (deterministic per unit, 2019-01-01 … 2023-12-31)."""
    return date(2019, 1, 1) + timedelta(days=zlib.crc32(unit_id.encode()) % (5 * 365))


class VisitExtension:
    name = "visits"
    tables = ("visit_registration", "vaccination_sign", "observation", "service_evaluation", "aefi")

    def on_child(self, ctx: Any, child: Child, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        cutoff = ctx.cutoff
        rates = ctx.fault_rates
        staff = registrars(ctx)
        visits: dict[tuple[str, date], list[tuple]] = {}
        for dose in doses:
            if not dose[16]:
                visits.setdefault((dose[5], dose[4].date()), []).append(dose)
        recipient_id = child.recipient_id
        for (unit_id, day), rows in visits.items():
            first = min(row[4] for row in rows)
            last = max(row[4] for row in rows)
            pad = day >= pad_adopted_on(unit_id)
            reg_signed: datetime | None = None
            if rng.random() < 0.97:
                registered = first - timedelta(minutes=rng.randint(3, 40))
                if pad:
                    roll = rng.random()
                    if roll < 0.88:
                        reg_signed = registered + timedelta(seconds=rng.randrange(min(180, int((first - registered).total_seconds()))))
                    elif roll < 0.92:
                        reg_signed = first + timedelta(minutes=rng.randint(5, 90))
                pool = staff.get(unit_id)
                emit("visit_registration", (
                    next_id(ctx, "visit_registration"), recipient_id, unit_id, day, registered,
                    pool[rng.randrange(len(pool))] if pool else None, reg_signed, False, registered,
                    max(registered, reg_signed or registered),
                ))
            if pad:
                signer = "self" if (day - child.birth_at.date()).days > 14 * 365 else "guardian"
                for row in rows:
                    roll = rng.random()
                    if roll < 0.90:
                        signed = row[4] + timedelta(seconds=rng.randrange(15 * 60))
                    elif roll < 0.93:
                        signed = row[4] + timedelta(minutes=rng.randint(120, 360))
                    elif roll < 0.95 and reg_signed is not None:
                        signed = reg_signed - timedelta(minutes=rng.randint(1, 10))
                    else:
                        continue
                    signed = min(signed, cutoff - MINUTE)
                    vaccination_id = row[0]
                    sign_id = next_id(ctx, "vaccination_sign")
                    if rng.random() < rates.get("vaccination_sign_orphan", 0.0):
                        vaccination_id += ORPHAN_OFFSET
                        faults.record("vaccination_sign_orphan", sign_id, f"vaccination_id {vaccination_id} does not exist")
                    emit("vaccination_sign", (sign_id, vaccination_id, signed, signer, False, signed, signed))
            has_aefi = False
            if rng.random() < 0.92:
                start = last + (timedelta(seconds=rng.randrange(240)) if rng.random() < 0.9
                                else timedelta(minutes=rng.randint(6, 20)))
                roll = rng.random()
                end: datetime | None
                if roll < 0.83:
                    end = start + timedelta(minutes=rng.randint(30, 45), seconds=rng.randrange(60))
                elif roll < 0.98:
                    end = start + timedelta(minutes=rng.randint(5, 29), seconds=rng.randrange(60))
                else:
                    end = None
                has_aefi = rng.random() < 0.004
                observation_id = next_id(ctx, "observation")
                if end is not None and rng.random() < rates.get("observation_end_before_start", 0.0):
                    end = start - timedelta(minutes=rng.randint(1, 30))
                    faults.record("observation_end_before_start", observation_id, f"ends {start - end} before start")
                if start < cutoff and (end is None or end < cutoff):
                    emit("observation", (
                        observation_id, recipient_id, unit_id, day, start, end, has_aefi, False, start,
                        max(start, end or start),
                    ))
            if has_aefi:
                onset = last + timedelta(minutes=rng.randint(3, 28))
                self._aefi(ctx, rng, emit, recipient_id, rows[-1][0], unit_id, onset, cutoff)
            elif rng.random() < 0.001 * len(rows):
                onset = last + timedelta(hours=rng.randint(2, 72))
                self._aefi(ctx, rng, emit, recipient_id, rows[-1][0], unit_id, onset, cutoff)
            if day >= EVALUATION_FROM and rng.random() < 0.40:
                active = rng.random() < 0.55
                if active:
                    evaluated = last + timedelta(minutes=rng.randint(35, 48 * 60))
                    rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
                    comment = COMMENTS[rng.randrange(len(COMMENTS))]
                else:
                    evaluated = datetime.combine(day + timedelta(days=7), datetime.min.time()) + timedelta(hours=2)
                    rating, comment = 5, None
                if evaluated >= cutoff:
                    continue
                evaluation_id = next_id(ctx, "service_evaluation")
                if active and rng.random() < rates.get("rating_out_of_range", 0.0):
                    rating = rng.choice((0, 6, 10))
                    faults.record("rating_out_of_range", evaluation_id, f"rating {rating}")
                emit("service_evaluation", (
                    evaluation_id, recipient_id, unit_id, day, evaluated, active, rating, comment, False, evaluated,
                    evaluated,
                ))

    @staticmethod
    def _aefi(ctx, rng, emit, recipient_id, vaccination_id, unit_id, onset, cutoff) -> None:
        reported = onset + timedelta(hours=rng.randint(1, 48))
        if reported >= cutoff:
            return
        code = rng.choices(AEFI_CODES, AEFI_WEIGHTS)[0]
        serious = code in ("A06", "A07") or rng.random() < 0.02
        outcome = "recovered" if rng.random() < 0.9 else "improving" if rng.random() < 0.9 else "sequelae"
        emit("aefi", (
            next_id(ctx, "aefi"), recipient_id, vaccination_id, unit_id, onset, reported, code, serious, outcome,
            False, reported, reported,
        ))


EXTENSION = VisitExtension()
