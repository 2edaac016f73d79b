"""Restore verification: the latest full + incrementals go into a scratch database and every table's row
count and checksum is compared with the fingerprints the backup took in its own snapshot. The result is
recorded (``monitor.restore_check``, exported as ``vaxdw_restore_verify_ok``) and alerts when it fails."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace

import psycopg

from vaxdw.backup.logical import latest_chain, restore_chain, table_fingerprint, tables_of
from vaxdw.db import PgParams, connect
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

CHECK_DDL = """
create schema if not exists monitor;
create table if not exists monitor.restore_check (
    check_id bigserial primary key,
    checked_at timestamptz not null default now(),
    backup_id text,
    chain_length integer,
    tables_compared integer,
    ok boolean not null,
    mismatches jsonb not null default '[]'
);
"""
SCRATCH_DB = "vaxdw_restore_check"


@dataclass
class VerifyResult:
    ok: bool
    backup_id: str | None
    chain_length: int
    tables_compared: int
    mismatches: list[dict] = field(default_factory=list)


def _recreate(admin: PgParams, dbname: str) -> PgParams:
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')
        conn.execute(f'create database "{dbname}"')
    return replace(admin, dbname=dbname)


def verify_latest(warehouse: PgParams, settings: Settings | None = None, scratch_db: str = SCRATCH_DB,
                  alert: bool = True, keep_scratch: bool = False) -> VerifyResult:
    settings = settings or get_settings()
    chain = latest_chain(settings.backup_dir)
    mismatches: list[dict] = []
    compared = 0
    if not chain:
        mismatches.append({"error": "no backup found"})
    else:
        expected = chain[-1]["tables"]
        scratch = _recreate(warehouse, scratch_db)
        try:
            restore_chain(chain, scratch, register=False)
            with connect(scratch) as conn:
                restored = {t: table_fingerprint(conn, t) for t in tables_of(conn, chain[0]["schemas"])}
            for table, want in sorted(expected.items()):
                got = restored.get(table)
                compared += 1
                if got != want:
                    mismatches.append({"table": table, "expected": want, "restored": got})
        except Exception as exc:  # noqa: BLE001 - a failed restore is the finding
            log.exception("restore verification failed")
            mismatches.append({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        finally:
            if not keep_scratch:
                with psycopg.connect(replace(warehouse, dbname="postgres").url, autocommit=True) as conn:
                    conn.execute(f'drop database if exists "{scratch_db}" with (force)')
    result = VerifyResult(not mismatches, chain[-1]["backup_id"] if chain else None, len(chain), compared,
                          mismatches)
    with connect(warehouse) as conn:
        conn.execute(CHECK_DDL)
        conn.execute(
            "insert into monitor.restore_check (backup_id, chain_length, tables_compared, ok, mismatches) "
            "values (%s, %s, %s, %s, %s)",
            (result.backup_id, result.chain_length, compared, result.ok,
             json.dumps(mismatches, ensure_ascii=False, default=str)),
        )
    if alert:
        from vaxdw.alerts import raise_alert, resolve_alert

        if result.ok:
            resolve_alert(warehouse, "backup:restore_verify", settings=settings)
        else:
            raise_alert(warehouse, "backup:restore_verify", "critical", "backup",
                        f"备份恢复校验失败：{len(mismatches)} 处不一致（备份 {result.backup_id}）", settings=settings)
    return result
