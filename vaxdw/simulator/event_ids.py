"""Row ids for extension tables: one counter per table, kept on the run's GenContext (so every
generation starts at 1 and the ids do not depend on other extensions)."""

from __future__ import annotations

from typing import Any


def next_id(ctx: Any, table: str) -> int:
    counters: dict[str, int] = ctx.__dict__.setdefault("_extension_ids", {})
    value = counters.get(table, 1)
    counters[table] = value + 1
    return value
