"""FEFO allocation edge cases: exact fit, split, expired skipped, shortfall, shared stock."""

from __future__ import annotations

from datetime import date

import pytest

from vaxdw.traceability.fefo import BatchStock, allocate_fefo, allocate_many

SHIP = date(2026, 5, 1)
A = BatchStock("s:A", "A", date(2026, 6, 30), 10)
B = BatchStock("s:B", "B", date(2026, 9, 30), 20)
OLD = BatchStock("s:OLD", "OLD", date(2026, 4, 30), 50)
EMPTY = BatchStock("s:E", "E", date(2026, 5, 15), 0)


def test_exact_fit_from_earliest_batch():
    result = allocate_fefo(10, [B, A], SHIP)
    assert [(line.batch_id, line.quantity) for line in result.lines] == [("s:A", 10)]
    assert result.is_complete and result.shortfall == 0


def test_split_across_batches_earliest_first():
    result = allocate_fefo(25, [B, A], SHIP)
    assert [(line.batch_id, line.quantity) for line in result.lines] == [("s:A", 10), ("s:B", 15)]


def test_expired_and_empty_batches_are_never_allocated():
    result = allocate_fefo(5, [OLD, EMPTY, A], SHIP)
    assert [(line.batch_id, line.quantity) for line in result.lines] == [("s:A", 5)]
    assert result.skipped_expired == ["s:OLD"]


def test_batch_expiring_on_ship_date_is_usable_unless_margin():
    today = BatchStock("s:T", "T", SHIP, 3)
    assert allocate_fefo(3, [today], SHIP).allocated == 3
    assert allocate_fefo(3, [today], SHIP, min_remaining_days=30).allocated == 0


def test_shortfall_reported():
    result = allocate_fefo(40, [A, B, OLD], SHIP)
    assert result.allocated == 30 and result.shortfall == 10 and not result.is_complete


def test_shared_stock_is_consumed_in_request_order():
    out = allocate_many([("c1", 8), ("c2", 8), ("c3", 20)], [A, B], SHIP)
    assert [(line.batch_id, line.quantity) for line in out["c2"].lines] == [("s:A", 2), ("s:B", 6)]
    assert out["c3"].allocated == 14 and out["c3"].shortfall == 6


def test_negative_request_is_an_error():
    with pytest.raises(ValueError):
        allocate_fefo(-1, [A], SHIP)
