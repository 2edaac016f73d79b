"""Operations subcommands: ``vaxdw backup …``, ``vaxdw metrics …``, ``vaxdw alert …``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from vaxdw.db import parse_url, resolve
from vaxdw.settings import get_settings


def _settings(args):
    settings = get_settings()
    if getattr(args, "backup_dir", None):
        from pathlib import Path

        settings = replace(settings, backup_dir=Path(args.backup_dir).resolve())
    return settings


def cmd_backup(args) -> int:
    from vaxdw import backup
    from vaxdw.backup.logical import _backups, latest_chain

    settings = _settings(args)
    _, warehouse = resolve(settings)
    if args.action == "full":
        result = backup.full_backup(warehouse, settings)
        print(f"full backup {result.backup_id}: {len(result.tables)} tables, load ids ≤ {result.max_load_id}")
    elif args.action == "incr":
        result = backup.incremental_backup(warehouse, settings)
        print(f"incremental backup {result.backup_id}: load ids ≤ {result.max_load_id}")
    elif args.action == "list":
        for manifest in _backups(settings.backup_dir):
            rows = sum(t["rows"] for t in manifest["tables"].values())
            print(f"{manifest['backup_id']}\t{manifest['kind']}\tparent={manifest['parent']}\t"
                  f"load_id≤{manifest['max_load_id']}\trows={rows}")
    elif args.action == "verify":
        result = backup.verify_latest(warehouse, settings)
        print(json.dumps({"ok": result.ok, "backup_id": result.backup_id, "chain_length": result.chain_length,
                          "tables_compared": result.tables_compared, "mismatches": result.mismatches},
                         ensure_ascii=False, default=str))
        return 0 if result.ok else 1
    elif args.action == "restore":
        if not args.target_url:
            raise SystemExit("restore needs --target-url (an empty database; never the live warehouse by default)")
        chain = latest_chain(settings.backup_dir)
        backup.restore_chain(chain, parse_url(args.target_url))
        print(f"restored {chain[0]['backup_id']} + {len(chain) - 1} incremental(s) into {args.target_url}")
    return 0


def cmd_metrics(args) -> int:
    from vaxdw.monitoring import collect, render

    _, warehouse = resolve(get_settings())
    if args.action == "show":
        print(render(collect(warehouse)), end="")
        return 0
    from vaxdw.monitoring.server import make_server

    server = make_server(warehouse, args.host, args.port)
    print(f"serving metrics on http://{args.host}:{server.server_address[1]}/metrics", flush=True)
    server.serve_forever()
    return 0


def cmd_inspect(args) -> int:
    from vaxdw.inspection import run_inspection

    _, warehouse = resolve(get_settings())
    result = run_inspection(warehouse)
    for finding in result.findings:
        print(f"[{finding.severity}] {finding.message_zh}")
    print(f"report: {result.report_path}")
    return 0


def cmd_ops_report(args) -> int:
    from vaxdw import clock
    from vaxdw.opsreport import write_monthly

    settings = get_settings()
    _, warehouse = resolve(settings)
    if args.month:
        year, month = (int(part) for part in args.month.split("-"))
    else:
        today = clock.today(settings)
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    print(write_monthly(warehouse, settings.out_dir, year, month))
    return 0


def cmd_deadlines(args) -> int:
    from vaxdw.alerts.deadlines import check_deadlines

    _, warehouse = resolve(get_settings())
    statuses = check_deadlines(warehouse)
    for status in statuses:
        state = {True: "超时", False: "正常", None: "未到截止"}[status.breached]
        print(f"[{state}] {status.key}: {status.message_zh}")
    return 1 if any(status.breached for status in statuses) else 0


def cmd_service_roles(args) -> int:
    import os

    from vaxdw.security.service_roles import apply_service_roles, create_service_login, superuser_in_use

    _, warehouse = resolve(get_settings())
    for role, grants in apply_service_roles(warehouse).items():
        print(f"{role}: {', '.join(grants)}")
    for spec in args.login or []:
        service, _, login = spec.partition("=")
        password = os.environ.get(f"VAXDW_PASSWORD_{login.upper()}")
        create_service_login(warehouse, login, f"vaxdw_{service}", password)
        print(f"login {login} → vaxdw_{service}" + ("" if password else " (no password in environment)"))
    if superuser_in_use(warehouse):
        print("warning: the application connects as a superuser; use a service login in production")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="backups of the non-rebuildable schemas; restore and verify")
    p.add_argument("action", choices=["full", "incr", "list", "verify", "restore"])
    p.add_argument("--backup-dir", default=None, help="default: VAXDW_BACKUP_DIR or ./backups")
    p.add_argument("--target-url", default=None, help="restore: the empty database to restore into")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("metrics", help="Prometheus metrics: print once (show) or serve /metrics")
    p.add_argument("action", choices=["show", "serve"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9187)
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("service-roles", help="create/grant the least-privilege service roles")
    p.add_argument("--login", action="append", metavar="SERVICE=LOGIN",
                   help="also create a login for a service (loader, transformer, quality, ops); "
                        "password from VAXDW_PASSWORD_<LOGIN>")
    p.set_defaults(func=cmd_service_roles)

    p = sub.add_parser("deadlines", help="deadline / freshness check (SLA): alert or recover now")
    p.set_defaults(func=cmd_deadlines)

    p = sub.add_parser("inspect", help="run the inspection (巡检) now: report + alerts")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("ops-report", help="write the monthly operations report (运维月报)")
    p.add_argument("--month", default=None, help="YYYY-MM (default: the month before VAXDW_EVALUATION_DATE, else last month)")
    p.set_defaults(func=cmd_ops_report)
