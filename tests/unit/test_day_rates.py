"""Daily simulation rates scale from the generated children count (docs/scaling.md, DOMAIN.md §5)."""

from __future__ import annotations

import random
from datetime import date

from vaxdw.simulator.days import DayRates, _poisson
from vaxdw.simulator.stock_counts import counts_on


def test_schedule_has_22_doses_per_child():
    from vaxdw.schedule import schedules
    from vaxdw.simulator.days import SCHEDULE_DOSES_PER_CHILD

    assert {len(s.doses) for s in schedules().values()} == {SCHEDULE_DOSES_PER_CHILD}


def test_province_day_sizes():
    rates = DayRates.for_children(2_000_000)
    assert 780 <= rates.births <= 810
    assert 16_000 <= rates.expected_doses <= 18_000  # 22 schedule doses per child by age 7
    edits = rates.dose_corrections + rates.recipient_fixes
    assert 0.005 * rates.expected_doses <= edits <= 0.01 * rates.expected_doses


def test_small_scales_keep_every_kind_of_change():
    rates = DayRates.for_children(1_200)
    assert min(rates.births, rates.dose_corrections, rates.recipient_fixes, rates.dose_deletes,
               rates.recipient_deletes, rates.register_moves) == 1.0


def test_poisson_mean():
    rng = random.Random(1)
    for mean in (0.5, 3.0, 800.0):
        draws = [_poisson(rng, mean) for _ in range(4000)]
        assert abs(sum(draws) / len(draws) - mean) < 0.05 * mean + 0.05


def test_stock_count_days():
    assert counts_on("county_cdc", date(2026, 11, 30))
    assert not counts_on("clinic", date(2026, 11, 30))
    assert counts_on("clinic", date(2026, 12, 31))
    assert not counts_on("county_cdc", date(2026, 11, 29))
