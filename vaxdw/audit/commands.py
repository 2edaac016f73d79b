"""``vaxdw audit report|purge``: the 审计日志报表 (Excel) and the retention purge of the audit trail."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from vaxdw import clock
from vaxdw.settings import get_settings


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise SystemExit(f"月份格式应为 YYYY-MM：{text}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve

    settings = get_settings()
    _, warehouse = resolve(settings)
    if not args.user:
        print("审计命令需要指定 --user（操作人，记入审计日志）。", file=sys.stderr)
        return 2
    if args.audit_command == "purge":
        from vaxdw.audit.retention import RetentionError, purge_audit

        try:
            result = purge_audit(warehouse, args.retention_days or settings.audit_retention_days, user=args.user,
                                 dry_run=args.dry_run)
        except RetentionError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        print(result.as_text())
        return 0
    from exporters.audit import write_audit_report
    from vaxdw.audit.report import query_audit_report

    today = clock.today(settings)
    month_from = _month(args.month_from) if args.month_from else date(today.year, today.month, 1)
    month_to = _month(args.month_to) if args.month_to else month_from
    report = query_audit_report(warehouse, month_from, month_to, user=args.of_user, kind=args.kind)
    out = Path(args.out).resolve() if args.out else settings.out_dir
    path = write_audit_report(report, out / f"审计日志报表_{month_from:%Y%m}_{month_to:%Y%m}.xlsx")
    print(f"{path}  ({report.total} 条审计记录, {len(report.summary)} 行汇总)")
    return 0


def register(subparsers) -> None:
    from vaxdw.audit.report import KIND_LABELS

    p = subparsers.add_parser("audit", help="审计: report (审计日志报表 Excel) or purge (retention)")
    p.add_argument("audit_command", choices=["report", "purge"])
    p.add_argument("--user", default=None, help="who runs it (required; recorded in the audit)")
    p.add_argument("--from", dest="month_from", default=None, help="report: first month YYYY-MM (default: the month of VAXDW_EVALUATION_DATE, else this)")
    p.add_argument("--to", dest="month_to", default=None, help="report: last month YYYY-MM (default: --from)")
    p.add_argument("--of-user", default=None, help="report: only this user's records")
    p.add_argument("--kind", default=None, choices=list(KIND_LABELS), help="report: only this kind")
    p.add_argument("--out", default=None, help="report: output folder (default: out/)")
    p.add_argument("--retention-days", type=int, default=None,
                   help="purge: override VAXDW_AUDIT_RETENTION_DAYS (default 1095, minimum 180)")
    p.add_argument("--dry-run", action="store_true", help="purge: count what would be deleted, delete nothing")
    p.set_defaults(func=cmd_audit)
