"""How later entities plug into the generator without editing the orchestrator.

An extension is a module listed in ``EXTENSION_MODULES`` that exposes ``EXTENSION``, an object with:

- ``name``: a short identifier (also seeds its own random streams, so adding an extension never
  changes the rows of the tables that existed before it);
- ``tables``: the contract tables it fills (they must be in ``vaxdw.contract``);
- ``reference_rows(ctx) -> dict[table, iterable of rows]``: rows of the fixed world (optional);
- ``on_child(ctx, child, doses, rng, emit, faults)``: called once per generated child after its doses,
  with the child's vaccination rows (tuples in contract column order); ``emit(table, row)`` writes a row;
- ``finish(ctx, emit, faults)``: called once at the end (optional).

Rows are tuples in the contract column order of their table. Faults are recorded with
``faults.record(fault_type, row_key, detail)`` and the fault type must be listed in ``faults.FAULT_TYPES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

EXTENSION_MODULES: list[str] = [
    # doses first: extensions that add doses run before those that read a child's doses
    "vaxdw.simulator.ipv_campaign",
    "vaxdw.simulator.register_changes",
    "vaxdw.simulator.migrations",
    "vaxdw.simulator.visits",
    "vaxdw.simulator.histories",
    "vaxdw.simulator.traceability",
    "vaxdw.simulator.newborns",
    "vaxdw.simulator.stock_counts",  # after traceability: counts its book balances
]

Emit = Callable[[str, tuple], None]


class Extension(Protocol):
    name: str
    tables: tuple[str, ...]

    def on_child(self, ctx: Any, child: Any, doses: list[tuple], rng: Any, emit: Emit, faults: Any) -> None: ...


def extensions() -> list[Extension]:
    return [importlib.import_module(name).EXTENSION for name in EXTENSION_MODULES]


def reference_rows(ext: Extension, ctx: Any) -> dict[str, Iterable[tuple]]:
    method = getattr(ext, "reference_rows", None)
    return method(ctx) if method else {}


def finish(ext: Extension, ctx: Any, emit: Emit, faults: Any) -> None:
    method = getattr(ext, "finish", None)
    if method:
        method(ctx, emit, faults)
