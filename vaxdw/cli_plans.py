"""``vaxdw plan issue``: 计划下发 — planned outbound documents from a parent unit's plan summary (FEFO)."""

from __future__ import annotations

import argparse
from datetime import date


def cmd_issue(args: argparse.Namespace) -> int:
    from vaxdw.access.authorize import AccessDenied
    from vaxdw.cli import _settings
    from vaxdw.db import resolve
    from vaxdw.traceability.plan_issue import PlanIssueError, issue_plans

    _, warehouse = resolve(_settings(args))
    statuses = tuple(args.status.split(",")) if args.status else None
    try:
        result = issue_plans(warehouse, args.unit, args.period, args.user, ship_date=args.ship_date,
                             dry_run=args.dry_run, replace=args.replace, statuses=statuses,
                             min_remaining_days=args.min_remaining_days)
    except (PlanIssueError, AccessDenied) as exc:
        print(exc)
        return 2 if isinstance(exc, PlanIssueError) else 3
    print(result.as_text())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="疫苗计划: 计划下发")
    group = parser.add_subparsers(dest="plan_command", required=True)
    p = group.add_parser("issue", help="计划下发: 按汇总的审批数量生成计划出库单（近效期先出，自动匹配批号）")
    p.add_argument("--unit", required=True, help="上级单位编码（汇总并下发的单位）")
    p.add_argument("--period", required=True, help="计划周期: 月度 2026-10, 季度 2026Q4, 年度 2026")
    p.add_argument("--user", required=True, help="下发人（访问控制用户名，记入审计日志）")
    p.add_argument("--ship-date", type=date.fromisoformat, default=None, help="发货日期（默认周期第一天）")
    p.add_argument("--dry-run", action="store_true", help="只试算并列出缺口，不写入")
    p.add_argument("--replace", action="store_true", help="该单位该周期已下发时，按当前库存重新下发（替换原下发）")
    p.add_argument("--status", default=None, help="只下发这些状态的计划, 逗号分隔 (submitted,approved,issued; 默认全部)")
    p.add_argument("--min-remaining-days", type=int, default=0, help="批号距失效日至少剩余天数（默认 0）")
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_issue)
