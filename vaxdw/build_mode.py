"""Which dbt build a run needs: the daily incremental build, or a full refresh.

The nightly build is incremental: the staging current-state tables read only the loads they have not
seen. Some changes alter history, and an incremental build would not apply them to rows already built:
a dbt var (other than the per-run ``evaluation_date``), a seed (code tables, the schedule), or the SQL of a
model or macro. The project's fingerprint (one hash per part) is recorded with every successful build in
``control.dbt_build``; when a part differs from the last successful build's, the next build is a full
refresh, and the reason names the part. A full refresh is also run when asked for (CLI ``--full-refresh``,
the DAG's ``full_refresh`` param) and on the weekday of ``VAXDW_FULL_REFRESH_WEEKDAY`` (the weekly check
that the incremental state still equals a rebuild; empty = never).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from vaxdw.db import PgParams, connect

DDL = """
create schema if not exists control;
create table if not exists control.dbt_build (
    build_id bigserial primary key,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    pipeline_run_id text,
    mode text not null check (mode in ('incremental', 'full_refresh')),
    reason text not null,
    fingerprint jsonb not null,
    status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
    elapsed_seconds numeric
);
alter table control.dbt_build add column if not exists loaded_up_to bigint;
"""

# dbt vars that are parameters of one run, not history: models reading them follow them every run
# (evaluation_date), or only the data tests read them (tested_above_load_id).
PER_RUN_VARS = {"evaluation_date", "tested_above_load_id"}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

PART_NAMES_ZH = {"vars": "dbt 变量", "seeds": "种子表 (代码表/免疫程序)", "models": "模型/宏 SQL"}


def _digest(chunks: list[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()


def _files(root: Path, patterns: tuple[str, ...]) -> list[bytes]:
    paths = sorted({path for pattern in patterns for path in root.glob(pattern)})
    return [str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() for path in paths]


def fingerprint(project_dir: Path, extra_vars: dict | None = None) -> dict[str, str]:
    """One hash per part of the project that can alter history: vars, seeds, models and macros."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    variables = {**(project.get("vars") or {}), **(extra_vars or {})}
    variables = {name: value for name, value in variables.items() if name not in PER_RUN_VARS}
    return {
        "vars": _digest([json.dumps(variables, sort_keys=True, default=str).encode()]),
        "seeds": _digest(_files(project_dir, ("seeds/**/*.csv", "seeds/**/*.yml"))),
        "models": _digest(_files(project_dir, ("models/**/*.sql", "macros/**/*.sql", "dbt_project.yml"))),
    }


@dataclass
class BuildMode:
    full_refresh: bool
    reason: str
    fingerprint: dict[str, str] = field(default_factory=dict)
    # the highest load id (or correction id) the last successful build had to read: what it tested
    tested_above_load_id: int | None = None

    @property
    def name(self) -> str:
        return "full_refresh" if self.full_refresh else "incremental"

    def dbt_args(self) -> list[str]:
        return ["build", "--full-refresh"] if self.full_refresh else ["build"]

    def dbt_vars(self) -> dict[str, object]:
        """A daily build's row-wise data tests read only the rows derived from what was loaded (or corrected)
        since the last successful build (macros/tests_on_new_rows.sql); a full refresh tests every row."""
        if self.full_refresh or self.tested_above_load_id is None:
            return {}
        return {"tested_above_load_id": self.tested_above_load_id}


def last_build(warehouse: PgParams) -> tuple[dict[str, str], int | None] | None:
    """The last successful build's fingerprint, and the highest load id drawn when it started."""
    with connect(warehouse) as conn:
        conn.execute(DDL)
        row = conn.execute(
            "select fingerprint, loaded_up_to from control.dbt_build where status = 'succeeded' "
            "order by build_id desc limit 1"
        ).fetchone()
    return (row[0], row[1]) if row else None


def decide(warehouse: PgParams, project_dir: Path, requested: bool = False, today: date | None = None,
           weekly: str = "", extra_vars: dict | None = None) -> BuildMode:
    """Incremental unless asked, first, weekly, or the project changed what history means."""
    current = fingerprint(project_dir, extra_vars)
    if requested:
        return BuildMode(True, "requested (--full-refresh)", current)
    last = last_build(warehouse)
    if last is None:
        return BuildMode(True, "first build of this warehouse", current)
    previous, tested_above = last
    changed = [part for part in current if previous.get(part) != current[part]]
    if changed:
        names = ", ".join(f"{part} ({PART_NAMES_ZH[part]})" for part in changed)
        return BuildMode(True, f"changed since the last successful build: {names}", current)
    if weekly and today is not None and WEEKDAYS[today.weekday()] == weekly:
        return BuildMode(True, f"weekly full refresh ({weekly})", current)
    return BuildMode(False, "daily incremental build", current, tested_above)


def start(warehouse: PgParams, mode: BuildMode, run_id: str | None) -> int:
    with connect(warehouse) as conn:
        conn.execute(DDL)
        # every load and correction drawn so far (ids from control.load_id_seq) is read by this build
        sequence = conn.execute("select to_regclass('control.load_id_seq') is not null").fetchone()[0]
        # a sequence never drawn from shows last_value 1 with is_called false: nothing loaded yet
        loaded_up_to = (conn.execute(
            "select case when is_called then last_value else 0 end from control.load_id_seq"
        ).fetchone()[0] if sequence else None)
        return conn.execute(
            "insert into control.dbt_build (pipeline_run_id, mode, reason, fingerprint, loaded_up_to) "
            "values (%s, %s, %s, %s, %s) returning build_id",
            (run_id, mode.name, mode.reason, json.dumps(mode.fingerprint), loaded_up_to),
        ).fetchone()[0]


def finish(warehouse: PgParams, build_id: int, ok: bool, elapsed_seconds: float) -> None:
    with connect(warehouse) as conn:
        conn.execute(
            "update control.dbt_build set finished_at = now(), status = %s, elapsed_seconds = %s where build_id = %s",
            ("succeeded" if ok else "failed", round(elapsed_seconds, 1), build_id),
        )
