"""Capacity planning: linear growth of the database size over the inspection history and the date the
disk would fill at that rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np


@dataclass
class Projection:
    growth_bytes_per_day: float | None
    exhaustion_date: str | None  # ISO date, None when not growing or not enough history
    points: int


def project(history: list[tuple[datetime, int]], disk_free_bytes: int, now: datetime) -> Projection:
    """``history``: (measured_at, database size in bytes), the current measurement included."""
    if len(history) < 2:
        return Projection(None, None, len(history))
    t0 = history[0][0]
    days = np.array([(at - t0).total_seconds() / 86400 for at, _ in history])
    sizes = np.array([size for _, size in history], dtype=float)
    if np.ptp(days) == 0:
        return Projection(None, None, len(history))
    slope = float(np.polyfit(days, sizes, 1)[0])
    if slope <= 0:
        return Projection(slope, None, len(history))
    return Projection(slope, (now + timedelta(days=disk_free_bytes / slope)).date().isoformat(), len(history))
