"""CLI subcommands of data quality: anomalies, repair, dq-eval, quality-docs, upload-gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaxdw.settings import get_settings

LEVELS = ["province", "city", "county", "township", "unit"]
WAREHOUSE_SCHEMAS = ("raw", "control", "staging", "intermediate", "marts", "seeds", "dq", "curated")


def _warehouse():
    from vaxdw.db import resolve

    return resolve(get_settings())


def cmd_anomalies(args: argparse.Namespace) -> int:
    from exporters.anomalies import write_anomaly_detail, write_anomaly_summary
    from vaxdw.quality.anomalies import detail_filters, query_anomaly_detail, query_anomaly_summary

    _, warehouse = _warehouse()
    filters = dict(region_code=args.region, rule_id=args.rule, severity=args.severity)
    if args.action == "summary":
        report = query_anomaly_summary(warehouse, level=args.level, **filters)
        print("  ".join(f"{k}：{v}" for k, v in report.filters.items()))
        print(report.rows.to_string(index=False) if len(report.rows) else "（无异常记录）")
        print(f"合计 {report.total}")
    elif args.action == "detail":
        detail = query_anomaly_detail(warehouse, unit_id=args.unit, limit=args.limit, **filters)
        print(detail.to_string(index=False) if len(detail) else "（无异常记录）")
    else:
        out = Path(args.out or get_settings().out_dir)
        report = query_anomaly_summary(warehouse, level=args.level, **filters)
        summary = write_anomaly_summary(report, out / f"异常数据汇总表_{args.level}.xlsx")
        detail = query_anomaly_detail(warehouse, unit_id=args.unit, **filters)
        detail_path = write_anomaly_detail(detail, out / "异常数据明细.xlsx",
                                           detail_filters(warehouse, unit_id=args.unit, **filters))
        print(f"wrote {summary} ({report.total} records)\nwrote {detail_path} ({len(detail)} rows)")
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    from vaxdw.repair import service

    _, warehouse = _warehouse()
    try:
        if args.action == "preview":
            result = service.preview(warehouse, args.rule)
        elif args.action == "apply":
            result = service.apply(warehouse, args.rule, args.user or "")
        else:
            result = service.undo(warehouse, args.user or "", repair_id=args.repair_id, rule_id=args.rule)
    except service.RepairError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(result.as_text(limit=args.limit))
    if result.mode != "preview":
        print("修正将在下次构建（vaxdw dbt / 主流程）后进入数据集市，并在随后的质量检查中重新检查。")
    return 0


def cmd_dq_eval(args: argparse.Namespace) -> int:
    from vaxdw.quality.evaluate import evaluate, write

    source, warehouse = _warehouse()
    if args.generate:
        from vaxdw.db import connect
        from vaxdw.dbt_runner import run_dbt
        from vaxdw.extract_load import load_all
        from vaxdw.quality.checkpoint import run_checks
        from vaxdw.simulator import generate

        print(generate(source, scale=args.scale, seed=args.seed).as_text())
        # A new province replaces the source: start the warehouse afresh (loads are incremental).
        with connect(warehouse, autocommit=True) as conn:
            for schema in WAREHOUSE_SCHEMAS:
                conn.execute(f"drop schema if exists {schema} cascade")
        loads = load_all(source, warehouse, pipeline_run_id="dq-eval")
        print(run_dbt(warehouse, ["build"]))
        print(run_checks(warehouse, [r.load_id for r in loads if r.rows_loaded], run_label="dq-eval").as_text())
    evaluation = evaluate(source, warehouse)
    print(evaluation.as_text())
    paths = [Path(args.out or get_settings().out_dir) / "dq_eval.json"]
    if args.results:
        paths.append(Path(args.results))
    for path in write(evaluation, *paths):
        print(f"wrote {path}")
    return 0


def cmd_quality_docs(args: argparse.Namespace) -> int:
    from vaxdw.quality.docs import render_markdown

    Path(args.output).write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def cmd_gate(args: argparse.Namespace) -> int:
    from vaxdw.quality.gate import blocked_records

    _, warehouse = _warehouse()
    frame = blocked_records(warehouse)
    print(frame.to_string(index=False) if len(frame) else "（无拦截记录）")
    print(f"上传拦截记录 {len(frame)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("anomalies", help="异常数据报表: summary, detail (drill-down) or Excel export")
    p.add_argument("action", choices=["summary", "detail", "export"])
    p.add_argument("--level", default="county", choices=LEVELS)
    p.add_argument("--region", default=None, help="region code (any level), e.g. 610100")
    p.add_argument("--rule", default=None, help="rule id, e.g. ID_SEX")
    p.add_argument("--severity", default=None, choices=["error", "warn"])
    p.add_argument("--unit", default=None, help="unit id (detail/export)")
    p.add_argument("--limit", type=int, default=200, help="detail rows shown")
    p.add_argument("--out", default=None, help="output folder (default: out/)")
    p.set_defaults(func=cmd_anomalies)

    p = sub.add_parser("repair", help="批量修复: preview (dry run), apply or undo a rule's repair")
    p.add_argument("action", choices=["preview", "apply", "undo"])
    p.add_argument("--rule", default=None, help="rule id with a repair action (e.g. ID_SEX)")
    p.add_argument("--user", default=None, help="who repairs (recorded in the audit)")
    p.add_argument("--repair-id", type=int, default=None, help="undo this repair (default: latest of --rule)")
    p.add_argument("--limit", type=int, default=20, help="changes shown")
    p.set_defaults(func=cmd_repair)

    p = sub.add_parser("dq-eval", help="score anomalies against the generator's injected faults")
    p.add_argument("--generate", action="store_true",
                   help="generate a new province, rebuild the warehouse from scratch, and check it first")
    p.add_argument("--scale", default="tiny", choices=["tiny", "small", "demo", "province"])
    p.add_argument("--seed", type=int, default=get_settings().seed)
    p.add_argument("--out", default=None, help="folder for dq_eval.json (default: out/)")
    p.add_argument("--results", default=None, help="also write the JSON here (e.g. bench/results/dq_eval.json)")
    p.set_defaults(func=cmd_dq_eval)

    p = sub.add_parser("quality-docs", help="regenerate docs/quality.md from the rule catalogue")
    p.add_argument("--output", default="docs/quality.md")
    p.set_defaults(func=cmd_quality_docs)

    p = sub.add_parser("upload-gate", help="list records held back from the national upload")
    p.set_defaults(func=cmd_gate)
