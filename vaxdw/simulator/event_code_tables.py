"""Code tables of the event entities (register changes, migrations, visits, histories) whose values
the simulator defines; ``vaxdw.contract.docs`` documents them."""

from __future__ import annotations

from vaxdw.simulator.register_changes import REASONS

CODE_TABLES: dict[str, dict[str, str]] = {
    "register_change_reason": REASONS,
}
