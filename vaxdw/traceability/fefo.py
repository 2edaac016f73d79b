"""First-expiry-first-out (FEFO) allocation of a planned outbound quantity to the batches in stock.

Used by 计划下发: each approved child plan becomes a planned OUT_TRANSFER whose lines are batches picked
earliest expiry first. A batch is never allocated when it is expired on the shipping date, or expires
within ``min_remaining_days`` of it (configurable; default 0 = usable up to and including its expiry day),
or when its available quantity is not positive. What cannot be covered is reported as a shortfall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class BatchStock:
    batch_id: str
    batch_no: str
    expiry_date: date
    available: int  # 支/瓶 on hand, net of earlier allocations


@dataclass(frozen=True)
class AllocationLine:
    batch_id: str
    batch_no: str
    expiry_date: date
    quantity: int


@dataclass
class Allocation:
    requested: int
    lines: list[AllocationLine] = field(default_factory=list)
    skipped_expired: list[str] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def shortfall(self) -> int:
        return self.requested - self.allocated

    @property
    def is_complete(self) -> bool:
        return self.shortfall == 0


def allocate_fefo(requested: int, stock: Iterable[BatchStock], ship_date: date,
                  min_remaining_days: int = 0) -> Allocation:
    """Allocate ``requested`` units across ``stock`` earliest expiry first (ties: batch number)."""
    if requested < 0:
        raise ValueError(f"requested quantity must be >= 0, got {requested}")
    result = Allocation(requested)
    usable_from = ship_date + timedelta(days=min_remaining_days)
    remaining = requested
    for batch in sorted(stock, key=lambda b: (b.expiry_date, b.batch_no, b.batch_id)):
        if batch.expiry_date < usable_from:
            if batch.available > 0:
                result.skipped_expired.append(batch.batch_id)
            continue
        if remaining == 0 or batch.available <= 0:
            continue
        take = min(remaining, batch.available)
        result.lines.append(AllocationLine(batch.batch_id, batch.batch_no, batch.expiry_date, take))
        remaining -= take
    return result


def allocate_many(requests: Iterable[tuple[str, int]], stock: Iterable[BatchStock], ship_date: date,
                  min_remaining_days: int = 0) -> dict[str, Allocation]:
    """Allocate several requests (child unit, quantity) in order from one shared stock, consuming it."""
    left = {batch.batch_id: batch for batch in stock}
    out: dict[str, Allocation] = {}
    for key, quantity in requests:
        allocation = allocate_fefo(quantity, left.values(), ship_date, min_remaining_days)
        for line in allocation.lines:
            batch = left[line.batch_id]
            left[line.batch_id] = BatchStock(batch.batch_id, batch.batch_no, batch.expiry_date,
                                             batch.available - line.quantity)
        out[key] = allocation
    return out
