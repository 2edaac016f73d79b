"""Preview, apply and undo a bulk repair (批量修复).

- preview: the changes a rule's repair action would make to the records the rule currently flags
  (nothing is written); apply writes exactly those changes (same query, one transaction), so the
  dry-run count equals the applied count.
- apply: one ``curated.repair`` row, one active ``curated.correction`` per change (an earlier
  active correction of the same cell is superseded, not deleted), one ``curated.repair_audit``
  row per change (who, when, rule, before, after), and the records queued for re-validation.
  Raw data is never edited; the corrected intermediate models apply the corrections on the next
  dbt build, and the next check run re-validates the queued records.
- undo: deactivates the repair's corrections, reactivates what they superseded, audits each
  change, queues the records again.

Every correction inserted, undone or reactivated gets a ``change_id`` drawn from the load id sequence
under the load lock (vaxdw.extract_load.lock), one per repair transaction: the incremental dose chain reads
the corrections changed above its highest id as it reads the loads (dbt macro ``changed_recipients``).
A repair therefore waits while loads or a dbt build run, and the next build re-derives what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vaxdw.db import PgParams, connect
from vaxdw.extract_load.lock import lock_for_load
from vaxdw.quality.catalogue import Catalogue, load_catalogue
from vaxdw.quality.schema import ensure_schema
from vaxdw.repair.actions import ACTIONS, KEY_COLUMN

DDL = """
create table if not exists curated.repair (
    repair_id bigint generated always as identity primary key,
    rule_id text not null,
    action text not null,
    created_by text not null,
    created_at timestamptz not null default now(),
    changes integer not null,
    status text not null check (status in ('applied', 'undone')),
    undone_by text,
    undone_at timestamptz
);
create table if not exists curated.repair_audit (
    audit_id bigint generated always as identity primary key,
    repair_id bigint not null references curated.repair (repair_id),
    event text not null check (event in ('apply', 'undo')),
    rule_id text not null,
    table_name text not null,
    row_key text not null,
    column_name text not null,
    before_value text,
    after_value text,
    changed_by text not null,
    changed_at timestamptz not null default now()
);
"""


class RepairError(ValueError):
    """The repair cannot run; the message says why (Chinese, for the quality team)."""


@dataclass(frozen=True)
class Change:
    table_name: str
    row_key: str
    column_name: str
    old_value: str | None
    new_value: str | None


@dataclass
class RepairResult:
    rule_id: str
    action: str
    changes: list[Change] = field(default_factory=list)
    repair_id: int | None = None
    mode: str = "preview"  # preview | apply | undo

    @property
    def count(self) -> int:
        return len(self.changes)

    def as_text(self, limit: int = 20) -> str:
        head = {"preview": "预览（未写入）", "apply": "已应用", "undo": "已撤销"}[self.mode]
        lines = [f"批量修复 {head}: rule {self.rule_id} action {self.action} "
                 f"changes {self.count}" + (f" repair_id {self.repair_id}" if self.repair_id else "")]
        for c in self.changes[:limit]:
            lines.append(f"  {c.table_name}.{c.column_name} [{c.row_key}]: {c.old_value!r} -> {c.new_value!r}")
        if self.count > limit:
            lines.append(f"  ... {self.count - limit} more")
        return "\n".join(lines)


def ensure_repair_schema(conn) -> None:
    ensure_schema(conn)
    conn.execute(DDL)


def _change_id(conn) -> int:
    """Take the load lock for this transaction and draw the correction change id under it, so change ids
    grow in commit order with the load ids (taken before any lock on curated.correction: a dbt build holds
    the load lock and its run start alters that table)."""
    lock_for_load(conn)
    return conn.execute("select nextval('control.load_id_seq')").fetchone()[0]


def _action_of(rule_id: str, catalogue: Catalogue | None) -> str:
    catalogue = catalogue or load_catalogue()
    for rule_set in reversed(catalogue.rule_sets):
        for rule in rule_set.rules:
            if rule.id == rule_id:
                if not rule.repair_action:
                    raise RepairError(f"规则 {rule_id} 不支持批量修复：{rule.repair_how}")
                return rule.repair_action
    raise RepairError(f"规则目录中没有规则 {rule_id}")


def _changes(conn, rule_id: str, action: str) -> list[Change]:
    rows = conn.execute(ACTIONS[action], {"rule_id": rule_id}).fetchall()
    return sorted((Change(*row) for row in rows if row[3] != row[4]),
                  key=lambda c: (c.table_name, c.column_name, c.row_key))


def preview(warehouse: PgParams, rule_id: str, catalogue: Catalogue | None = None) -> RepairResult:
    action = _action_of(rule_id, catalogue)
    with connect(warehouse) as conn:
        ensure_repair_schema(conn)
        return RepairResult(rule_id, action, _changes(conn, rule_id, action))


def apply(warehouse: PgParams, rule_id: str, user: str, catalogue: Catalogue | None = None) -> RepairResult:
    if not user.strip():
        raise RepairError("必须填写操作人 (--user)")
    action = _action_of(rule_id, catalogue)
    with connect(warehouse) as conn:
        ensure_repair_schema(conn)
        change_id = _change_id(conn)
        conn.execute("lock table curated.correction in share row exclusive mode")
        changes = _changes(conn, rule_id, action)
        repair_id = conn.execute(
            "insert into curated.repair (rule_id, action, created_by, changes, status) "
            "values (%s, %s, %s, %s, 'applied') returning repair_id",
            (rule_id, action, user, len(changes)),
        ).fetchone()[0]
        with conn.cursor() as cur:
            for c in changes:
                superseded = cur.execute(
                    "update curated.correction set is_active = false, undone_at = now(), undone_by = %s, "
                    "change_id = %s where table_name = %s and row_key = %s and column_name = %s and is_active "
                    "returning correction_id",
                    (user, change_id, c.table_name, c.row_key, c.column_name),
                ).fetchone()
                cur.execute(
                    "insert into curated.correction (table_name, row_key, column_name, old_value, new_value, "
                    "rule_id, repair_id, created_by, supersedes_id, change_id) "
                    "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (c.table_name, c.row_key, c.column_name, c.old_value, c.new_value, rule_id, repair_id, user,
                     superseded[0] if superseded else None, change_id),
                )
            cur.executemany(
                "insert into curated.repair_audit (repair_id, event, rule_id, table_name, row_key, column_name, "
                "before_value, after_value, changed_by) values (%s, 'apply', %s, %s, %s, %s, %s, %s, %s)",
                [(repair_id, rule_id, c.table_name, c.row_key, c.column_name, c.old_value, c.new_value, user)
                 for c in changes],
            )
            _queue(cur, changes)
    return RepairResult(rule_id, action, changes, repair_id, mode="apply")


def undo(warehouse: PgParams, user: str, repair_id: int | None = None, rule_id: str | None = None) -> RepairResult:
    """Undo one repair (by id, or the latest applied repair of ``rule_id``)."""
    if not user.strip():
        raise RepairError("必须填写操作人 (--user)")
    with connect(warehouse) as conn:
        ensure_repair_schema(conn)
        change_id = _change_id(conn)
        if repair_id is None:
            row = conn.execute(
                "select repair_id from curated.repair where rule_id = %s and status = 'applied' "
                "order by repair_id desc limit 1", (rule_id,),
            ).fetchone()
            if row is None:
                raise RepairError(f"规则 {rule_id} 没有可撤销的修复")
            repair_id = row[0]
        repair = conn.execute(
            "select rule_id, action, status from curated.repair where repair_id = %s for update", (repair_id,)
        ).fetchone()
        if repair is None:
            raise RepairError(f"没有修复批次 {repair_id}")
        if repair[2] != "applied":
            raise RepairError(f"修复批次 {repair_id} 已撤销")
        rule_id, action = repair[0], repair[1]
        rows = conn.execute(
            "update curated.correction set is_active = false, undone_at = now(), undone_by = %s, change_id = %s "
            "where repair_id = %s and is_active "
            "returning table_name, row_key, column_name, new_value, old_value, supersedes_id",
            (user, change_id, repair_id),
        ).fetchall()
        changes = [Change(t, k, c, new, old) for t, k, c, new, old, _ in rows]
        with conn.cursor() as cur:
            superseded = [r[5] for r in rows if r[5] is not None]
            if superseded:
                cur.execute(
                    "update curated.correction set is_active = true, undone_at = null, undone_by = null, "
                    "change_id = %s where correction_id = any(%s)", (change_id, superseded),
                )
            cur.executemany(
                "insert into curated.repair_audit (repair_id, event, rule_id, table_name, row_key, column_name, "
                "before_value, after_value, changed_by) values (%s, 'undo', %s, %s, %s, %s, %s, %s, %s)",
                [(repair_id, rule_id, c.table_name, c.row_key, c.column_name, c.old_value, c.new_value, user)
                 for c in changes],
            )
            cur.execute(
                "update curated.repair set status = 'undone', undone_by = %s, undone_at = now() where repair_id = %s",
                (user, repair_id),
            )
            _queue(cur, changes)
    changes.sort(key=lambda c: (c.table_name, c.column_name, c.row_key))
    return RepairResult(rule_id, action, changes, repair_id, mode="undo")


def _queue(cur, changes: list[Change]) -> None:
    cur.executemany(
        "insert into dq.recheck_queue (key_column, row_key) values (%s, %s)",
        sorted({(KEY_COLUMN[c.table_name], c.row_key) for c in changes}),
    )
