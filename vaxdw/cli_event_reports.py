"""``vaxdw report <name>``: the event reports (省内迁出, 留观率, 签核率, 门诊服务评价, 受种者个案) as Excel.

Registered through ``COMMAND_MODULES`` in vaxdw.cli. The ``report`` command group is shared with other
command modules: :func:`report_group` reuses it when another module created it first.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def report_group(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-commands of ``vaxdw report``, created on first use."""
    parser = subparsers.choices.get("report")
    if parser is None:
        parser = subparsers.add_parser("report", help="export a report statement (报表导出)")
    for action in parser._actions:  # noqa: SLF001 - argparse keeps sub-parsers there
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return action
    return parser.add_subparsers(dest="report_name", required=True)


def _common(parser: argparse.ArgumentParser, dates: str = "统计日期") -> None:
    parser.add_argument("--level", default="county", choices=["province", "city", "county", "township", "unit"],
                        help="浏览级别")
    parser.add_argument("--region", default=None, help="统计范围: 区划代码或单位编码 (默认全省)")
    parser.add_argument("--from", dest="date_from", required=True, help=f"{dates} 起 YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", required=True, help=f"{dates} 止 YYYY-MM-DD")
    parser.add_argument("--detail", action="store_true", help="同时导出明细 (流式写出)")
    parser.add_argument("--out", default=None)


def _warehouse_and_dir(args: argparse.Namespace):
    from vaxdw.cli import _settings
    from vaxdw.db import resolve

    settings = _settings(args)
    _, warehouse = resolve(settings)
    out_dir = Path(settings.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return warehouse, out_dir


def _period(args) -> tuple[date, date]:
    return date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)


def _name(title: str, args, date_from: date, date_to: date) -> str:
    return f"{title}_{args.level}_{args.region or '全省'}_{date_from:%Y%m%d}_{date_to:%Y%m%d}"


def cmd_migration(args: argparse.Namespace) -> int:
    from exporters.migration_out import write_migration_detail, write_migration_out
    from vaxdw.reports import migration_out

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    report = migration_out.query_migration_out(warehouse, args.level, args.region, date_from, date_to,
                                               side=args.side, overdue_days=args.overdue_days)
    stem = _name("省内迁出报表", args, date_from, date_to)
    path = write_migration_out(report, out_dir / f"{stem}.xlsx")
    print(f"{path}  发起 {report.totals['initiated']}  已接收 {report.totals['accepted']}  "
          f"待接收 {report.totals['pending']}")
    if args.detail:
        rows = migration_out.detail_rows(warehouse, args.region, date_from, date_to, side=args.side)
        print(write_migration_detail(rows, migration_out.DETAIL_COLUMNS, out_dir / f"{stem}_明细.xlsx", report.filters))
    return 0


def cmd_observation(args: argparse.Namespace) -> int:
    from exporters.observation import write_observation
    from exporters.statement import write_detail
    from vaxdw.reports import observation

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    groups = args.register_groups.split(",") if args.register_groups else None
    report = observation.query_observation(warehouse, args.level, args.region, date_from, date_to, groups)
    stem = _name("留观率统计表", args, date_from, date_to)
    path = write_observation(report, out_dir / f"{stem}.xlsx")
    print(f"{path}  就诊人次 {report.totals['visits']}  留观达标 {report.totals['completed']}")
    if args.detail:
        rows = observation.detail_rows(warehouse, args.region, date_from, date_to, groups)
        print(write_detail(rows, observation.DETAIL_COLUMNS, out_dir / f"{stem}_明细.xlsx", "留观率统计表明细",
                           filters=report.filters))
    return 0


def cmd_signoff(args: argparse.Namespace) -> int:
    from exporters.signoff import write_signoff
    from exporters.statement import write_detail
    from vaxdw.reports import signoff

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    report = signoff.query_signoff(warehouse, args.level, args.region, date_from, date_to, group_by=args.group_by)
    stem = _name(f"签核率统计_{args.group_by}", args, date_from, date_to)
    path = write_signoff(report, out_dir / f"{stem}.xlsx")
    print(f"{path}  就诊人次 {report.totals['visits']}  剂次 {report.totals['doses']}")
    if args.detail:
        rows = signoff.detail_rows(warehouse, args.region, date_from, date_to)
        print(write_detail(rows, signoff.DETAIL_COLUMNS, out_dir / f"{stem}_明细.xlsx", "签核率统计明细",
                           filters=report.filters))
    return 0


def cmd_evaluation(args: argparse.Namespace) -> int:
    from exporters.service_evaluation import write_service_evaluation
    from vaxdw.reports import service_evaluation

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    report = service_evaluation.query_service_evaluation(warehouse, args.level, args.region, date_from, date_to)
    path = write_service_evaluation(report, out_dir / f"{_name('门诊服务评价统计', args, date_from, date_to)}.xlsx")
    print(f"{path}  评价 {report.totals['evaluations']}  主动评价 {report.totals['active']}")
    return 0


def cmd_case(args: argparse.Namespace) -> int:
    from exporters.recipient_case import write_recipient_case
    from vaxdw.reports.recipient_case import SECTIONS, query_recipient_case

    warehouse, out_dir = _warehouse_and_dir(args)
    for recipient_id in args.recipient_ids:
        case = query_recipient_case(warehouse, recipient_id)
        print(write_recipient_case(case, SECTIONS, out_dir / f"受种者个案_{recipient_id}.xlsx"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = report_group(subparsers)
    p = group.add_parser("migration", help="省内迁出报表")
    _common(p)
    p.add_argument("--side", default="from", choices=["from", "to"], help="按迁出单位或迁入单位统计")
    p.add_argument("--overdue-days", type=int, default=7, help="待接收超过多少天算超时 (默认 7)")
    p.set_defaults(func=cmd_migration)
    p = group.add_parser("observation", help="留观率统计表")
    _common(p, "接种日期")
    p.add_argument("--register-groups", default=None, help="在册分组, 逗号分隔: in_register,off_register,temporary")
    p.set_defaults(func=cmd_observation)
    p = group.add_parser("signoff", help="签核率统计")
    _common(p, "接种日期")
    p.add_argument("--group-by", default="region", choices=["region", "staff"], help="按地区或按人员")
    p.set_defaults(func=cmd_signoff)
    p = group.add_parser("evaluation", help="门诊服务评价统计")
    _common(p, "评价日期")
    p.set_defaults(func=cmd_evaluation)
    p = group.add_parser("case", help="受种者个案 (每人一个工作簿)")
    p.add_argument("recipient_ids", type=int, nargs="+")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_case)
