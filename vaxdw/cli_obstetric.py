"""``vaxdw report hbsag-newborn | obstetric-reasons | obstetric-print``: the 产科 statements (shared ``report`` group)."""

from __future__ import annotations

import argparse

from vaxdw.cli_event_reports import _common, _name, _period, _warehouse_and_dir, report_group


def cmd_hbsag(args: argparse.Namespace) -> int:
    from exporters.obstetric import write_hbsag_newborn
    from exporters.statement import write_detail
    from vaxdw.reports import hbsag_newborn

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    ages = args.age_groups.split(",") if args.age_groups else None
    groups = args.register_groups.split(",") if args.register_groups else None
    report = hbsag_newborn.query_hbsag_newborn(warehouse, args.level, args.region, date_from, date_to, args.cohort,
                                               ages, groups)
    stem = _name(f"产科HBsAg阳性母亲所生儿童乙肝接种率_{args.cohort}", args, date_from, date_to)
    path = write_hbsag_newborn(report, out_dir / f"{stem}.xlsx")
    print(f"{path}  队列 {report.totals['cohort_size']}  首针≤12h {report.totals['hepb1_12h']}")
    if args.detail:
        rows = hbsag_newborn.detail_rows(warehouse, args.region, date_from, date_to, args.cohort, ages, groups)
        print(write_detail(rows, hbsag_newborn.DETAIL_COLUMNS, out_dir / f"{stem}_明细.xlsx", "明细",
                           filters=report.filters))
    return 0


def cmd_reasons(args: argparse.Namespace) -> int:
    from exporters.obstetric import write_unvaccinated
    from vaxdw.access.authorize import AccessDenied
    from vaxdw.reports import obstetric_unvaccinated as module

    warehouse, out_dir = _warehouse_and_dir(args)
    date_from, date_to = _period(args)
    doses = args.birth_doses.split(",") if args.birth_doses else None
    report = module.query_unvaccinated(warehouse, args.level, args.region, date_from, date_to, doses)
    stem = _name("产科未种原因", args, date_from, date_to)
    print(f"{write_unvaccinated(report, module.REASONS, out_dir / f'{stem}.xlsx')}  未种剂次 {report.totals['total']}")
    if args.detail:
        if not args.user:
            print("导出明细需要指定 --user（访问控制用户名）。")
            return 2
        try:
            rows = module.export_detail(warehouse, args.user, args.region, date_from, date_to,
                                        out_dir / f"{stem}_明细.xlsx", doses)
        except AccessDenied as exc:
            print(exc)
            return 3
        print(f"{out_dir / f'{stem}_明细.xlsx'}  明细 {rows} 行（已记录审计日志）")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    from exporters.obstetric_print import to_pdf, write_print
    from vaxdw.reports.obstetric_print import load_forms, print_record

    warehouse, out_dir = _warehouse_and_dir(args)
    forms = load_forms()
    omit = args.omit.split(",") if args.omit else ()
    for newborn_id in args.newborn_ids:
        record = print_record(warehouse, newborn_id, forms)
        title = forms["forms"][args.form]["title"]
        path = write_print(record, forms, args.form, args.mode, out_dir / f"{title}_{args.mode}_{newborn_id}.xlsx", omit)
        print(path)
        if args.pdf:
            pdf = to_pdf(path)
            print(pdf if pdf else "未安装 LibreOffice，无法生成 PDF（已生成 Excel）")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = report_group(subparsers)
    p = group.add_parser("hbsag-newborn", help="产科HBsAg阳性母亲所生儿童乙肝接种率")
    _common(p, "出生日期")
    p.add_argument("--cohort", default="positive", choices=["positive", "unknown"], help="阳性 / 不详 队列")
    p.add_argument("--age-groups", default=None, help="年龄组, 逗号分隔: m00_06,m07_11,y1,y2,y3plus")
    p.add_argument("--register-groups", default=None, help="在册分组, 逗号分隔")
    p.set_defaults(func=cmd_hbsag)
    p = group.add_parser("obstetric-reasons", help="产科未种原因 (明细需授权并记录审计)")
    _common(p, "出生日期")
    p.add_argument("--birth-doses", default=None, help="HepB1,BCG")
    p.add_argument("--user", default=None, help="导出明细的用户 (config/access.yaml)")
    p.set_defaults(func=cmd_reasons)
    p = group.add_parser("obstetric-print", help="产科打印: 预防接种卡 / 接种证 (套打或全打)")
    p.add_argument("newborn_ids", type=int, nargs="+")
    p.add_argument("--form", default="card", choices=["card", "certificate"], help="card 接种卡, certificate 接种证")
    p.add_argument("--mode", default="overlay", choices=["overlay", "full"], help="overlay 套打, full 全打")
    p.add_argument("--omit", default=None, help="不打印的项, 逗号分隔: name,unit_phone,unit_name")
    p.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 转为 PDF")
    p.add_argument("--out", default=None)
    p.set_defaults(func=cmd_print)
