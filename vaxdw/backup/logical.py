"""Logical backups of the warehouse's non-rebuildable schemas (pg_dump custom format + raw increments).

Why logical and not pgBackRest: the pgBackRest available here (Debian 12, 2.45) predates PostgreSQL 16
support (added upstream in 2.46/2.47), and the embedded development server is not run with
``archive_mode``. Production with a newer pgBackRest should take physical backups as well (see
docs/operations.md); these logical backups stay useful as the schema-level, portable copy.

Layout under ``backup_dir``: one directory per backup, ``<YYYYmmddTHHMMSS>-full`` or ``-incr``, each
with ``manifest.json`` (kind, parent chain, load-id range, per-table row count and checksum taken in
the same snapshot as the data; an incremental's raw checksums are the chain's plus its increment's). A full backup is ``pg_dump -Fc`` of the schemas. An incremental is the
raw rows of loads newer than the chain's last backup (``_load_id`` range, COPY files) plus a fresh
``pg_dump -Fc`` of the small mutable schemas (control, dq, monitor, audit, config): raw is append-only,
the others are small and updated in place. All parts of one backup read one exported snapshot.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vaxdw import clock
from vaxdw.contract import tables as contract_tables
from vaxdw.db import PgParams, connect
from vaxdw.extract_load.current import drop_current_indexes, recompute_current_versions
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
# the small, mutable, non-rebuildable schemas (re-dumped whole in every incremental)
# curated: the corrections of 批量修复 and their audit (entered by people, not rebuildable from raw)
SMALL_SCHEMAS = ("control", "dq", "curated", "monitor", "audit", "config")

BACKUP_DDL = """
create schema if not exists monitor;
create table if not exists monitor.backup_run (
    backup_id text primary key,
    kind text not null check (kind in ('full', 'incr')),
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    status text not null check (status in ('succeeded', 'failed')),
    path text,
    max_load_id bigint,
    bytes bigint,
    error text
);
"""


@dataclass
class BackupResult:
    backup_id: str
    kind: str
    path: Path
    max_load_id: int
    tables: dict[str, dict]


def pg_bin(name: str) -> str:
    """A PostgreSQL client program matching the server: VAXDW_PG_BIN_DIR, pgserver's, or PATH."""
    configured = os.environ.get("VAXDW_PG_BIN_DIR")
    if configured:
        return str(Path(configured) / name)
    try:
        import pgserver

        candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"PostgreSQL program {name} not found (set VAXDW_PG_BIN_DIR)")
    return found


def _pg_env(params: PgParams) -> dict[str, str]:
    env = dict(os.environ)
    if params.password:
        env["PGPASSWORD"] = params.password
    return env


def _run(cmd: list[str], params: PgParams) -> None:
    proc = subprocess.run(cmd, env=_pg_env(params), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def existing_schemas(conn, wanted) -> list[str]:
    rows = conn.execute(
        "select nspname from pg_namespace where nspname = any(%s) order by nspname", (list(wanted),)
    ).fetchall()
    return [row[0] for row in rows]


def tables_of(conn, schemas) -> list[str]:
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
        (list(schemas),),
    ).fetchall()
    return [row[0] for row in rows]


def table_fingerprint(conn, table: str, where: str = "") -> dict:
    """Row count and an order-independent checksum (sum of 64-bit prefixes of each row's md5), of the rows
    ``where`` selects (default all). Both are sums, so the fingerprints of disjoint row sets add up."""
    schema, name = table.split(".", 1)
    # raw's _is_current and _superseded_load_id are the loader's bookkeeping, set again on later loads and
    # after a restore (vaxdw.extract_load.current): rows are fingerprinted without them, so an increment's
    # sums add up
    columns = [row[0] for row in conn.execute(
        "select quote_ident(attname) from pg_attribute where attrelid = %s::regclass and attnum > 0 "
        "and not attisdropped and attname not in ('_is_current', '_superseded_load_id') order by attnum",
        (f'"{schema}"."{name}"',))]
    row = f"row({', '.join(f't.{column}' for column in columns)})"
    count, checksum = conn.execute(
        f'select count(*), coalesce(sum((\'x\' || substr(md5({row}::text), 1, 16))::bit(64)::bigint), 0)::text '
        f'from "{schema}"."{name}" as t {f"where {where}" if where else ""}'
    ).fetchone()
    return {"rows": int(count), "checksum": checksum}


def _added(before: dict | None, increment: dict) -> dict:
    before = before or {"rows": 0, "checksum": "0"}
    return {"rows": before["rows"] + increment["rows"],
            "checksum": str(int(before["checksum"]) + int(increment["checksum"]))}


def _backups(backup_dir: Path) -> list[dict]:
    manifests = []
    for path in sorted(backup_dir.glob("*/manifest.json")):
        manifest = json.loads(path.read_text())
        manifest["path"] = str(path.parent)
        manifests.append(manifest)
    return manifests


def latest_chain(backup_dir: Path) -> list[dict]:
    """The latest full backup and the incrementals taken after it, oldest first."""
    chain: list[dict] = []
    for manifest in _backups(backup_dir):
        if manifest["kind"] == "full":
            chain = [manifest]
        elif chain and manifest["parent"] == chain[-1]["backup_id"]:
            chain.append(manifest)
    return chain


def _record(warehouse: PgParams, result: dict) -> None:
    with connect(warehouse) as conn:
        conn.execute(BACKUP_DDL)
        conn.execute(
            "insert into monitor.backup_run (backup_id, kind, started_at, finished_at, status, path, max_load_id, "
            "bytes, error) values (%(backup_id)s, %(kind)s, %(started_at)s, coalesce(%(finished_at)s, now()), "
            "%(status)s, %(path)s, %(max_load_id)s, %(bytes)s, %(error)s) on conflict (backup_id) do nothing",
            {"finished_at": None, **result},
        )


def _take(warehouse: PgParams, backup_dir: Path, kind: str) -> BackupResult:
    started = clock.now()
    backup_id = started.strftime("%Y%m%dT%H%M%S%f") + f"-{kind}"
    target = backup_dir / backup_id
    parent = None
    after_load_id = 0
    if kind == "incr":
        chain = latest_chain(backup_dir)
        if not chain:
            raise RuntimeError("no full backup to build an incremental on: take a full backup first")
        parent, after_load_id = chain[-1]["backup_id"], chain[-1]["max_load_id"]
    record = {"backup_id": backup_id, "kind": kind, "started_at": started, "path": str(target),
              "max_load_id": None, "bytes": None, "error": None}
    try:
        target.mkdir(parents=True)
        with connect(warehouse) as conn:
            conn.execute(BACKUP_DDL)
            conn.commit()
            conn.execute("set transaction isolation level repeatable read")
            snapshot = conn.execute("select pg_export_snapshot()").fetchone()[0]
            raw_present = existing_schemas(conn, [RAW_SCHEMA])
            small = existing_schemas(conn, SMALL_SCHEMAS)
            max_load_id = 0
            if conn.execute("select to_regclass('control.load') is not null").fetchone()[0]:
                max_load_id = conn.execute("select coalesce(max(load_id), 0) from control.load").fetchone()[0]
            dump_schemas = (raw_present + small) if kind == "full" else small
            cmd = [pg_bin("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                   f"--snapshot={snapshot}", f"--file={target / 'schemas.pgc'}", f"--dbname={warehouse.url}"]
            _run(cmd + [f"--schema={schema}" for schema in dump_schemas], warehouse)
            raw_tables = tables_of(conn, raw_present)
            increments = {}
            if kind == "incr":
                for table in raw_tables:
                    schema, name = table.split(".", 1)
                    path = target / f"{table}.copy"
                    with path.open("wb") as out, conn.cursor().copy(
                        f'copy (select * from "{schema}"."{name}" where _load_id > {int(after_load_id)} '
                        f'and _load_id <= {int(max_load_id)}) to stdout'
                    ) as copy:
                        for chunk in copy:
                            out.write(chunk)
                    increments[table] = path.name
            # A full backup fingerprints every row. An incremental fingerprints only its increment of raw
            # (append-only) and adds it to the chain's: no nightly scan of the whole raw history. The
            # restore check (vaxdw.backup.verify) compares a restored copy with these sums in full.
            fingerprints = {t: table_fingerprint(conn, t) for t in tables_of(conn, small)}
            for table in raw_tables:
                if kind == "full":
                    fingerprints[table] = table_fingerprint(conn, table)
                else:
                    increment = table_fingerprint(
                        conn, table, f"_load_id > {int(after_load_id)} and _load_id <= {int(max_load_id)}")
                    fingerprints[table] = _added(chain[-1]["tables"].get(table), increment)
            conn.rollback()
        manifest = {
            "backup_id": backup_id, "kind": kind, "parent": parent, "created_at": started.isoformat(),
            "after_load_id": after_load_id, "max_load_id": max_load_id, "schemas": dump_schemas,
            "raw_increments": increments, "tables": fingerprints,
        }
        (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        record.update(status="succeeded", max_load_id=max_load_id,
                      bytes=sum(p.stat().st_size for p in target.iterdir()))
        _record(warehouse, record)
        log.info("%s backup %s: %d tables, load ids up to %d", kind, backup_id, len(fingerprints), max_load_id)
        return BackupResult(backup_id, kind, target, max_load_id, fingerprints)
    except Exception as exc:
        shutil.rmtree(target, ignore_errors=True)
        record.update(status="failed", error=str(exc)[:2000])
        _record(warehouse, record)
        raise


def apply_retention(backup_dir: Path, keep_full: int) -> list[str]:
    """Delete chains older than the newest ``keep_full`` full backups; return the removed backup ids."""
    manifests = _backups(backup_dir)
    fulls = [m["backup_id"] for m in manifests if m["kind"] == "full"]
    if len(fulls) <= keep_full:
        return []
    oldest_kept = fulls[-keep_full]
    removed = [m["backup_id"] for m in manifests if m["backup_id"] < oldest_kept]
    for backup_id in removed:
        shutil.rmtree(backup_dir / backup_id)
    return removed


def full_backup(warehouse: PgParams, settings: Settings | None = None) -> BackupResult:
    settings = settings or get_settings()
    result = _take(warehouse, settings.backup_dir, "full")
    apply_retention(settings.backup_dir, settings.backup_keep_full)
    return result


def incremental_backup(warehouse: PgParams, settings: Settings | None = None) -> BackupResult:
    settings = settings or get_settings()
    return _take(warehouse, settings.backup_dir, "incr")


def _raw_contract_tables(conn) -> list:
    return [table for table in contract_tables()
            if conn.execute("select to_regclass(%s) is not null", (f"raw.{table.name}",)).fetchone()[0]]


def _unmark_current_versions(target: PgParams) -> None:
    """Before the increments: raw's current-version flags (vaxdw.extract_load.current) of each backup are those
    of its day, so versions of a key from several backups may each say current; the unique index on the
    current keys waits until they are ranked again."""
    with connect(target) as conn:
        for table in _raw_contract_tables(conn):
            drop_current_indexes(conn, table)


def _mark_current_versions(target: PgParams) -> None:
    """After the increments: rank every version again and index the current ones."""
    with connect(target) as conn:
        for table in _raw_contract_tables(conn):
            recompute_current_versions(conn, table)
            conn.execute(table.current_index_ddl())


def restore_chain(chain: list[dict], target: PgParams, register: bool = True) -> None:
    """Restore a full backup and its incrementals, in order, into the (empty) ``target`` database.

    ``register``: add the chain's own rows to ``monitor.backup_run`` (each backup's row is written after
    its snapshot, so the restored table lacks the last one); verification restores without it."""
    if not chain or chain[0]["kind"] != "full":
        raise ValueError("a restore chain starts with a full backup")
    restore = [pg_bin("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={target.url}"]
    _run(restore + [str(Path(chain[0]["path"]) / "schemas.pgc")], target)
    if len(chain) > 1:
        _unmark_current_versions(target)
    for manifest in chain[1:]:
        path = Path(manifest["path"])
        with connect(target) as conn:
            for schema in manifest["schemas"]:
                conn.execute(f'drop schema if exists "{schema}" cascade')
            for table, filename in manifest["raw_increments"].items():
                schema, name = table.split(".", 1)
                with (path / filename).open("rb") as src, conn.cursor().copy(
                    f'copy "{schema}"."{name}" from stdin'
                ) as copy:
                    while chunk := src.read(1 << 20):
                        copy.write(chunk)
        _run(restore + [str(path / "schemas.pgc")], target)
    if len(chain) > 1:
        _mark_current_versions(target)
    # a backup's own monitor.backup_run row is written after its snapshot: re-register the chain
    for manifest in chain if register else []:
        _record(target, {"backup_id": manifest["backup_id"], "kind": manifest["kind"],
                         "started_at": manifest["created_at"], "finished_at": manifest["created_at"],
                         "status": "succeeded", "path": manifest["path"], "max_load_id": manifest["max_load_id"],
                         "bytes": None, "error": None})
