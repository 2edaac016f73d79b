"""The source contract: the operational system's tables as vaxdw expects them.

The real provincial system's schema is not public, so this package *is* the contract.
Each entity lives in its own module and registers a :class:`Table`. From these
definitions come the simulator's DDL (``source_ddl``), the warehouse's raw landing DDL
(``raw_ddl``) and ``docs/source-schema.md`` (``vaxdw docs-schema``). Adding an entity
is adding a module and listing it in ``ENTITY_MODULES``.
"""

from __future__ import annotations

import importlib

from vaxdw.contract.model import Column, Table

ENTITY_MODULES = [
    "vaxdw.contract.regions",
    "vaxdw.contract.units",
    "vaxdw.contract.code_tables",
    "vaxdw.contract.staff",
    "vaxdw.contract.recipients",
    "vaxdw.contract.vaccinations",
    "vaxdw.contract.register_changes",
    "vaxdw.contract.migrations",
    "vaxdw.contract.visits",
    "vaxdw.contract.health_histories",
    "vaxdw.contract.operation_logs",
    "vaxdw.contract.traceability",
    "vaxdw.contract.newborns",
    "vaxdw.contract.stock_counts",
]


def tables() -> list[Table]:
    """All contract tables, in dependency (load) order."""
    result: list[Table] = []
    for name in ENTITY_MODULES:
        result.extend(importlib.import_module(name).TABLES)
    return result


def table(name: str) -> Table:
    for candidate in tables():
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown source table: {name}")


__all__ = ["Column", "Table", "tables", "table"]
