"""The 2023–2024 IPV catch-up campaign (IPV 补种, DOMAIN §1.4, §8.7) as a generator extension.

Children born in the campaign window (2016-03-01 … 2019-09-30) followed the 1 IPV + 3 bOPV schedule, so
most have one trivalent-containing polio dose (IPV or tOPV) and need one catch-up IPV dose; children who
missed their routine IPV need two. Most (``TAKE_UP``), not all, get their catch-up doses inside their
phase's window, at least 28 days after their previous polio dose; a few of those needing two stop after
the first. The phases mirror the default rows of the dbt seed ``ref_ipv_campaign`` (per city overrides
included), so the report finds the doses where the configuration says they belong.

With the default ``as_of`` (2026-10-31) the generated children are born after 2019-10-01 and nobody is
in the window: generate with an earlier ``as_of`` (e.g. 2024-12-31) to see the campaign.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from vaxdw.simulator.vaccinations import DoseWriter, _clinic_time

# Polio codes that contain trivalent components (IPV, sIPV, tOPV, DTaP-IPV/Hib); bOPV 0311 does not.
TRIVALENT_CODES = frozenset({"0301", "0302", "0303", "0306", "5001"})
TAKE_UP = 0.85  # share of children needing doses who get the first one
SECOND_DOSE_SHARE = 0.9  # of those needing two, share who also get the second


@dataclass(frozen=True)
class Phase:
    city_code: str  # "610000" = province-wide default
    birth_from: date
    birth_to: date
    start_date: date
    end_date: date


PHASES = (
    Phase("610000", date(2016, 3, 1), date(2017, 12, 31), date(2023, 4, 1), date(2024, 12, 31)),
    Phase("610000", date(2018, 1, 1), date(2019, 9, 30), date(2024, 3, 1), date(2024, 12, 31)),
    Phase("610500", date(2018, 1, 1), date(2019, 9, 30), date(2024, 5, 1), date(2024, 11, 30)),
)


def phase_for(city_code: str, birth_date: date) -> Phase | None:
    """The city's own phase for this birth date if it has one, else the province-wide phase."""
    matches = [p for p in PHASES if p.birth_from <= birth_date <= p.birth_to]
    own = [p for p in matches if p.city_code == city_code]
    province = [p for p in matches if p.city_code == "610000"]
    return (own or province or [None])[0]


class IpvCampaign:
    name = "ipv_campaign"
    tables = ("vaccination",)

    def on_child(self, ctx: Any, child: Any, doses: list[tuple], rng: random.Random, emit, faults) -> None:
        birth_date = child.birth_at.date()
        phase = phase_for(child.county_code[:4] + "00", birth_date)
        if phase is None or child.window is not None or phase.start_date > ctx.as_of:
            return
        start = datetime.combine(phase.start_date, datetime.min.time())
        if child.left_at is not None and child.left_at < start:
            return
        polio = sorted((row[4], row[2]) for row in doses if row[2][:2] == "03" or row[2] == "5001")
        trivalent = sum(1 for moment, code in polio if moment < start and code in TRIVALENT_CODES)
        need = max(0, 2 - trivalent)
        if need == 0 or rng.random() >= TAKE_UP:
            return
        end = min(phase.end_date, ctx.as_of)
        writer = DoseWriter(ctx, rng, random.Random(rng.random()), faults, lambda row: emit("vaccination", row))
        span = max((end - phase.start_date).days, 1)
        previous = max((m for m, _ in polio if m < start), default=None)
        for number in range(need):
            if number == 1 and rng.random() >= SECOND_DOSE_SHARE:
                break
            earliest = phase.start_date if previous is None else max(
                phase.start_date, previous.date() + timedelta(days=28))
            day = earliest + timedelta(days=int(rng.random() * span * (0.5 if number == 0 else 0.3)))
            if day > end:
                break
            moment = _clinic_time(rng, day)
            if moment >= ctx.cutoff or (child.left_at is not None and moment > child.left_at):
                break
            dose_no = 1 + sum(1 for m, _ in polio if m < moment)
            code = "0303" if rng.random() < 0.15 else "0306"
            writer.emit(child, code, dose_no, moment, child.clinic_at(moment), "2", "1", "2", True)
            polio.append((moment, code))
            polio.sort()
            previous = moment


EXTENSION = IpvCampaign()
