"""``vaxdw export <report> …`` for the coverage-family reports: arguments and one runner per report.

cli.py keeps the parser and the 实种情况统计表 path; it takes the extra report names (``REPORTS``) and
arguments (``add_arguments``) from here and hands every other report to ``run``.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from vaxdw import clock
from vaxdw.db import PgParams

REPORTS = {
    "entry-timeliness": "实种及时统计表",
    "ipv-catchup": "IPV补种剂次统计表",
    "cohort-coverage": "乡镇出生队列接种率统计表",
    "coverage-monitoring": "接种率监测",
    "case-sample": "个案随机抽查名单",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--birth-from", default=None, help="birth date from (YYYY-MM-DD)")
    p.add_argument("--birth-to", default=None, help="birth date to (YYYY-MM-DD)")
    p.add_argument("--entry-from", default=None, help="entry date from (entry-timeliness)")
    p.add_argument("--entry-to", default=None, help="entry date to (entry-timeliness)")
    p.add_argument("--register", action="append", choices=["in_register", "off_register", "temporary"],
                   help="register group 在册/离册/临时 (repeatable)")
    p.add_argument("--view", default="detail", choices=["detail", "dose", "manufacturer"],
                   help="shizhong: by dose number x manufacturer, by dose number, or by manufacturer")
    p.add_argument("--as-of", default=None, help="evaluation date T (cohort-coverage; default VAXDW_EVALUATION_DATE, else today)")
    p.add_argument("--basis", default="residence", choices=["residence", "household"],
                   help="cohort-coverage: residence or household-registration township")
    p.add_argument("--boundary-date", default=None,
                   help="cohort-coverage: historical boundaries, map township codes to those valid on this date")
    p.add_argument("--dose", action="append", help="cohort-coverage dose as CATEGORY-N, e.g. 02-1 (repeatable)")
    p.add_argument("--campaign", action="append", help="ipv-catchup campaign id (repeatable)")
    p.add_argument("--sample-size", type=int, default=50, help="case-sample: children (per unit when --stratify)")
    p.add_argument("--seed", type=int, default=None, help="case-sample: random seed (stored with the sample)")
    p.add_argument("--stratify", action="store_true", help="case-sample: draw --sample-size per managing unit")
    p.add_argument("--detail", action="store_true", help="also write the streamed 明细 (rows behind the report)")


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _tag(args: argparse.Namespace) -> str:
    return f"{args.level or 'default'}_{args.region or '61'}"


def run(args: argparse.Namespace, warehouse: PgParams, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    runner = {
        "entry-timeliness": _entry_timeliness,
        "ipv-catchup": _ipv_catchup,
        "cohort-coverage": _cohort_coverage,
        "coverage-monitoring": _coverage_monitoring,
        "case-sample": _case_sample,
    }[args.report]
    for line in runner(args, warehouse, out_dir):
        print(line)
    return 0


def _entry_timeliness(args, warehouse, out_dir):
    from exporters.entry_timeliness import write_entry_timeliness, write_entry_timeliness_detail
    from vaxdw.reports.entry_timeliness import iter_detail, query_entry_timeliness

    level = args.level or "county"
    filters = dict(
        vaccination_from=_date(args.date_from), vaccination_to=_date(args.date_to),
        birth_from=_date(args.birth_from), birth_to=_date(args.birth_to),
        entry_from=_date(args.entry_from), entry_to=_date(args.entry_to),
        vaccine_codes=args.vaccine or None, register_groups=args.register or None,
    )
    report = query_entry_timeliness(warehouse, level=level, region_code=args.region, **filters)
    path = write_entry_timeliness(report, out_dir / f"实种及时统计表_{_tag(args)}_{args.date_from}_{args.date_to}.xlsx")
    totals = report.totals
    yield (f"{path}  ({len(report.rows)} rows, {totals['counted']:,} records counted, "
           f"{totals['back_entered']:,} back-entered, timely {totals['entry_timely_rate'] or 0:.2%})")
    if args.detail:
        detail = write_entry_timeliness_detail(
            iter_detail(warehouse, level, args.region, **filters), path.with_name(path.stem + "_明细.xlsx"),
            report.filters)
        yield str(detail)


def _ipv_catchup(args, warehouse, out_dir):
    from exporters.ipv_catchup import write_ipv_catchup, write_ipv_catchup_detail
    from vaxdw.reports.ipv_catchup import iter_detail, query_ipv_catchup

    level = args.level or "county"
    filters = dict(campaign_ids=args.campaign or None, birth_from=_date(args.birth_from),
                   birth_to=_date(args.birth_to))
    report = query_ipv_catchup(warehouse, level=level, region_code=args.region, **filters)
    path = write_ipv_catchup(report, out_dir / f"IPV补种剂次统计表_{_tag(args)}.xlsx")
    t = report.totals
    yield (f"{path}  ({len(report.rows)} rows, {t['eligible']:,} eligible, {t['needing']:,} needing, "
           f"{t['completed']:,} completed)")
    if args.detail:
        yield str(write_ipv_catchup_detail(iter_detail(warehouse, args.region, **filters),
                                           path.with_name(path.stem + "_明细.xlsx"), report.filters))


def _parse_doses(values):
    from vaxdw.reports.cohort_coverage import DEFAULT_DOSES

    if not values:
        return DEFAULT_DOSES
    doses = []
    for value in values:
        category, _, number = value.partition("-")
        if not (category.isdigit() and number.isdigit()):
            raise SystemExit(f"剂次格式应为 大类-剂次，如 02-1：{value}")
        doses.append((category.zfill(2), int(number)))
    return tuple(doses)


def _cohort_coverage(args, warehouse, out_dir):
    from exporters.cohort_coverage import write_cohort_coverage, write_cohort_coverage_detail
    from vaxdw.reports.cohort_coverage import iter_detail, query_cohort_coverage

    as_of = _date(args.as_of) or clock.today()
    birth_from = _date(args.birth_from) or date(as_of.year - 1, 1, 1)
    birth_to = _date(args.birth_to) or date(as_of.year - 1, 12, 31)
    level = args.level or "township"
    doses = _parse_doses(args.dose)
    options = dict(region_code=args.region, basis=args.basis, boundary_date=_date(args.boundary_date), doses=doses)
    report = query_cohort_coverage(warehouse, birth_from, birth_to, as_of, level=level, **options)
    path = write_cohort_coverage(
        report, out_dir / f"乡镇出生队列接种率_{_tag(args)}_{birth_from}_{birth_to}_T{as_of}.xlsx")
    yield f"{path}  ({len(report.regions)} regions, {report.total_children:,} children in the cohort)"
    if args.detail:
        yield str(write_cohort_coverage_detail(iter_detail(warehouse, birth_from, birth_to, as_of, **options),
                                               path.with_name(path.stem + "_明细.xlsx"), report.filters))


def _coverage_monitoring(args, warehouse, out_dir):
    from exporters.coverage_monitoring import write_coverage_monitoring
    from vaxdw.reports.coverage_monitoring import dropout_totals, query_coverage_monitoring

    if not (args.date_from and args.date_to):
        raise SystemExit("接种率监测需要 --from 和 --to（统计月份，YYYY-MM-DD 或 YYYY-MM-01）")
    level = args.level or "city"
    report = query_coverage_monitoring(warehouse, level, _date(args.date_from), _date(args.date_to),
                                       region_code=args.region, category_codes=args.vaccine or None)
    path = write_coverage_monitoring(report, out_dir / f"接种率监测_{_tag(args)}_{args.date_from}_{args.date_to}.xlsx",
                                     dropout_totals(report))
    yield f"{path}  ({len(report.rows)} rows, 应种 {int(report.totals['due'].sum()):,}, 实种 {int(report.totals['given'].sum()):,})"


def _case_sample(args, warehouse, out_dir):
    from exporters.case_sample import write_case_sample
    from vaxdw.reports.case_sample import draw_sample, iter_sample

    sample = draw_sample(warehouse, args.sample_size, seed=args.seed, region_code=args.region,
                         birth_from=_date(args.birth_from), birth_to=_date(args.birth_to),
                         register_groups=args.register or None, stratify_by_unit=args.stratify, created_by="cli")
    path = write_case_sample(iter_sample(warehouse, sample.sample_id),
                             out_dir / f"个案随机抽查_{sample.sample_id}_seed{sample.seed}.xlsx", sample.filters)
    yield (f"{path}  (sample {sample.sample_id}, seed {sample.seed}, {sample.members:,} of "
           f"{sample.candidates:,} candidates)")
