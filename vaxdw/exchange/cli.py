"""``vaxdw exchange …``: run the push receiver, look at reconciliation and held-back records, resend rejected
records, prune the payloads of accepted items past the retention, export the 业务人员上传 statement."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_receiver(args: argparse.Namespace) -> int:
    import uvicorn

    from vaxdw.db import resolve
    from vaxdw.exchange.config import exchange_config
    from vaxdw.exchange.receiver import create_receiver_app
    from vaxdw.settings import get_settings

    settings = get_settings()
    _, warehouse = resolve(settings)
    secrets = exchange_config(settings).receiver_secrets
    if not secrets:
        print("VAXDW_EXCHANGE_RECEIVER_SECRETS is empty: no sender could authenticate")
        return 2
    uvicorn.run(create_receiver_app(warehouse, secrets), host=args.host, port=args.port, log_level="info",
                ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.exchange.outbox import reconciliation

    _, warehouse = resolve()
    print(f"{'target':<7} {'category':<20} {'date':<10} {'sent':>8} {'accepted':>9} {'rejected':>9} {'in flight':>9}")
    bad = 0
    for row in reconciliation(warehouse):
        ok = row["sent"] == row["accepted"] + row["rejected"] + row["in_flight"] and not row["status_mismatches"]
        bad += not ok
        print(f"{row['target']:<7} {row['category']:<20} {row['sent_date']!s:<10} {row['sent']:>8,} "
              f"{row['accepted']:>9,} {row['rejected']:>9,} {row['in_flight']:>9,}{'' if ok else '  DOES NOT BALANCE'}")
    return 1 if bad else 0


def cmd_held(args: argparse.Namespace) -> int:
    from vaxdw.db import connect, resolve
    from vaxdw.exchange.schema import ensure_schema

    _, warehouse = resolve()
    with connect(warehouse, autocommit=True) as conn:
        ensure_schema(conn)
        rows = conn.execute("select target, category, record_key, version, hold_reason from exchange.held_back "
                            "where %(c)s::text is null or category = %(c)s order by 1, 2, 3",
                            {"c": args.category}).fetchall()
    for row in rows:
        print("\t".join(str(v) for v in row))
    print(f"{len(rows)} records held back")
    return 0


def cmd_resend(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.exchange.outbox import resend

    _, warehouse = resolve()
    n = resend(warehouse, args.category, record_keys=args.key or None, codes=args.code or None)
    print(f"{n} rejected records queued again (sent by the next exchange run)")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    import sys

    from vaxdw.db import resolve
    from vaxdw.exchange.config import exchange_config
    from vaxdw.exchange.retention import RetentionError, prune_payloads
    from vaxdw.settings import get_settings

    settings = get_settings()
    _, warehouse = resolve(settings)
    days = args.retention_days if args.retention_days is not None else exchange_config(settings).payload_retention_days
    try:
        result = prune_payloads(warehouse, days, batch_size=args.batch_size, vacuum=not args.no_vacuum,
                                compact=args.compact, dry_run=args.dry_run)
    except RetentionError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(result.as_text())
    return 0


def cmd_staff_upload(args: argparse.Namespace) -> int:
    from exporters.staff_upload import write_staff_upload
    from vaxdw.db import resolve
    from vaxdw.reports.staff_upload import failure_detail, query_staff_upload
    from vaxdw.settings import get_settings

    settings = get_settings()
    _, warehouse = resolve(settings)
    if args.staff_id:
        print(json.dumps(failure_detail(warehouse, args.staff_id), ensure_ascii=False, default=str, indent=2))
        return 0
    report = query_staff_upload(warehouse, level=args.level, region_code=args.region, unit_id=args.unit)
    out = Path(args.out) if args.out else settings.out_dir
    path = write_staff_upload(report, out / f"业务人员上传统计表_{args.level}_{args.region or args.unit or '61'}.xlsx")
    print(f"{path}  ({len(report.rows)} rows, uploaded {report.totals['uploaded']}, failed {report.totals['failed']})")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("exchange", help="data exchange with the national systems")
    sub = parser.add_subparsers(dest="exchange_command", required=True)

    p = sub.add_parser("receiver", help="run the collaborative platform's push receiver")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8770)
    p.add_argument("--certfile", default=None)
    p.add_argument("--keyfile", default=None)
    p.set_defaults(func=cmd_receiver)

    p = sub.add_parser("reconcile", help="sent = accepted + rejected + in flight, per category and day")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("held", help="list records held back by blocking quality rules")
    p.add_argument("--category", default=None)
    p.set_defaults(func=cmd_held)

    p = sub.add_parser("resend", help="queue rejected records again (after a fix on the remote side)")
    p.add_argument("category")
    p.add_argument("--key", action="append", help="record key (repeatable; default: all rejected)")
    p.add_argument("--code", action="append", help="only rejections with this error code (repeatable)")
    p.set_defaults(func=cmd_resend)

    p = sub.add_parser("prune", help="remove the payloads of items accepted longer ago than the retention")
    p.add_argument("--retention-days", type=int, default=None,
                   help="override VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS (default 30)")
    p.add_argument("--batch-size", type=int, default=10_000, help="payload rows examined per transaction")
    p.add_argument("--no-vacuum", action="store_true", help="skip the VACUUM of the pruned tables afterwards")
    p.add_argument("--compact", action="store_true",
                   help="VACUUM FULL the payload and feedback tables (returns the space to the operating system; "
                        "exclusive lock: run it when no exchange DAG run is active)")
    p.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser("staff-upload", help="业务人员上传统计表 (Excel), or one staff member's upload history")
    p.add_argument("--level", default="county", choices=["city", "county", "unit"])
    p.add_argument("--region", default=None)
    p.add_argument("--unit", default=None)
    p.add_argument("--staff-id", type=int, default=None, help="print this staff member's uploads and errors")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_staff_upload)
