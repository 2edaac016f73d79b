"""The orchestrator: build the fixed world, then stream every table into the source database."""

from __future__ import annotations

import logging
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from vaxdw import contract
from vaxdw.db import PgParams, connect
from vaxdw.schedule import DEFAULT_2025_SWITCH
from vaxdw.simulator import extensions as ext_registry
from vaxdw.simulator import quality_faults, reference_rows
from vaxdw.simulator.context import GenContext, World
from vaxdw.simulator.copy_writer import CopyWriter
from vaxdw.simulator.faults import (
    FAULT_TYPES,
    MANIFEST_COLUMNS,
    MANIFEST_DDL,
    MANIFEST_SCHEMA,
    MANIFEST_TABLE,
    FaultLog,
    resolve_rates,
)
from vaxdw.simulator.recipients import IdAllocator, allocate_children, make_child
from vaxdw.simulator.scales import children_for
from vaxdw.simulator.scratch import Scratch
from vaxdw.simulator.vaccinations import DoseWriter, child_doses

log = logging.getLogger(__name__)

DEFAULT_SEED = 20240101
DEFAULT_AS_OF = date(2026, 10, 31)

RUN_DDL = f"""
create table {MANIFEST_SCHEMA}.generation_run (
    seed bigint not null,
    scale text not null,
    as_of date not null,
    children integer not null,
    switch_2025 date not null
);
"""


@dataclass
class GenerationSummary:
    scale: str
    seed: int
    as_of: date
    children: int
    rows: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_text(self) -> str:
        lines = [
            f"模拟源库已生成 scale={self.scale} seed={self.seed} as_of={self.as_of} "
            f"children={self.children} ({self.seconds:.1f}s)",
            "rows:",
        ]
        lines += [f"  ops.{name:<16} {count:>10,}" for name, count in self.rows.items()]
        lines.append("injected faults:")
        lines += [f"  {name:<26} {count:>8,}" for name, count in self.faults.items()]
        return "\n".join(lines)


def create_schemas(params: PgParams) -> None:
    with connect(params) as conn:
        conn.execute("drop schema if exists ops cascade")
        conn.execute(f"drop schema if exists {MANIFEST_SCHEMA} cascade")
        conn.execute("create schema ops")
        conn.execute(f"create schema {MANIFEST_SCHEMA}")
        for table in contract.tables():
            conn.execute(table.source_ddl())
        conn.execute(MANIFEST_DDL)
        conn.execute(RUN_DDL)


def _copy(params: PgParams, name: str, rows) -> int:
    table = contract.table(name)
    with CopyWriter(params, f"ops.{name}", table.column_names) as writer:
        writer.write_many(rows)
    return writer.rows


def generate(
    params: PgParams,
    scale: str = "tiny",
    seed: int = DEFAULT_SEED,
    as_of: date = DEFAULT_AS_OF,
    fault_rates: dict[str, float] | None = None,
    children: int | None = None,
    switch_2025: date = DEFAULT_2025_SWITCH,
) -> GenerationSummary:
    """Drop and recreate schemas ``ops`` and ``sim`` in the source database and fill them.

    Deterministic: the same seed, scale (or ``children``), as_of and fault rates give
    byte-identical tables. Nothing reads the wall clock.
    """
    started = time.perf_counter()
    total = children_for(scale, children)
    rates = resolve_rates(fault_rates)
    world = World.build(seed)
    ctx = GenContext(seed=seed, as_of=as_of, world=world, fault_rates=rates, switch_2025=switch_2025)
    summary = GenerationSummary(scale=scale, seed=seed, as_of=as_of, children=total)

    create_schemas(params)
    scratch = Scratch(params)
    scratch.create()
    ctx.scratch = scratch
    summary.rows["region"] = _copy(params, "region", reference_rows.region_rows(world))
    summary.rows["township_change"] = _copy(params, "township_change", reference_rows.township_change_rows(world))
    summary.rows["unit"] = _copy(params, "unit", reference_rows.unit_rows(world))
    summary.rows["vaccine"] = _copy(params, "vaccine", reference_rows.vaccine_rows())
    summary.rows["manufacturer"] = _copy(params, "manufacturer", reference_rows.manufacturer_rows())
    summary.rows["staff"] = _copy(params, "staff", reference_rows.staff_rows(world))

    plugins = ext_registry.extensions()
    for plugin in plugins:
        for name, rows in ext_registry.reference_rows(plugin, ctx).items():
            summary.rows[name] = summary.rows.get(name, 0) + _copy(params, name, rows)

    with ExitStack() as stack:
        stack.enter_context(scratch)
        recipients = stack.enter_context(
            CopyWriter(params, "ops.recipient", contract.table("recipient").column_names)
        )
        doses = stack.enter_context(
            CopyWriter(params, "ops.vaccination", contract.table("vaccination").column_names)
        )
        manifest = stack.enter_context(
            CopyWriter(params, f"{MANIFEST_SCHEMA}.{MANIFEST_TABLE}", MANIFEST_COLUMNS)
        )
        extra = {
            name: stack.enter_context(CopyWriter(params, f"ops.{name}", contract.table(name).column_names))
            for plugin in plugins
            for name in plugin.tables
            if name != "vaccination"
        }

        def emit(name: str, row: tuple) -> None:
            if name == "vaccination":  # extra doses (e.g. a catch-up campaign) join the one dose stream
                write_dose(row)  # …and the child's rows, so later extensions (stock, visits) see them
            else:
                extra[name].write(row)

        faults = FaultLog(manifest)
        ids = IdAllocator()
        child_rows: list[tuple] = []

        def write_dose(row: tuple) -> None:
            doses.write(row)
            child_rows.append(row)

        for township, count in allocate_children(ctx, total):
            if count == 0:
                continue
            ids.enter_county(township.county_code)
            rng = random.Random(f"{seed}:{township.code}:children")
            frng = random.Random(f"{seed}:{township.code}:faults")
            plugin_rngs = [random.Random(f"{seed}:{township.code}:{p.name}") for p in plugins]
            writer = DoseWriter(ctx, rng, frng, faults, write_dose)
            obstetric = world.units.obstetric_of_county[township.county_code]
            for _ in range(count):
                child, rows = make_child(ctx, township, rng, frng, ids, faults)
                recipients.write_many(rows)
                child_rows.clear()
                child_doses(ctx, child, obstetric[rng.randrange(len(obstetric))], writer)
                for plugin, plugin_rng in zip(plugins, plugin_rngs, strict=True):
                    plugin.on_child(ctx, child, child_rows, plugin_rng, emit, faults)
        for plugin in plugins:
            ext_registry.finish(plugin, ctx, emit, faults)
    scratch.drop()
    summary.rows["recipient"] = recipients.rows
    summary.rows["vaccination"] = doses.rows
    for name, writer_ in extra.items():
        summary.rows[name] = writer_.rows
    summary.faults = {name: faults.counts.get(name, 0) for name in FAULT_TYPES}
    summary.faults.update(quality_faults.inject(params, seed, rates))

    with connect(params) as conn:
        conn.execute(
            f"insert into {MANIFEST_SCHEMA}.generation_run values (%s, %s, %s, %s, %s)",
            (seed, scale, as_of, total, switch_2025),
        )
    with connect(params, autocommit=True) as conn:
        conn.execute("analyze")
    summary.seconds = time.perf_counter() - started
    log.info("generated source database: %s", summary.as_text())
    return summary
