"""The ``vaxdw`` command line: generate, load, build, check, export, and run the demo through Airflow."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import subprocess
import sys
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path

from vaxdw.settings import Settings, get_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "out", None):
        settings = replace(settings, out_dir=Path(args.out).resolve())
    return settings


def cmd_generate(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.simulator import generate

    source, _ = resolve(_settings(args))
    summary = generate(source, scale=args.scale, seed=args.seed, children=args.children)
    print(summary.as_text())
    return 0


def cmd_simulate_days(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from vaxdw.db import connect, resolve
    from vaxdw.simulator.days import TOWNSHIP_MERGE_PROBABILITY, simulate_days

    source, _ = resolve(_settings(args))
    merge_on = None
    if args.township_merge_on_day is not None:
        with connect(source) as conn:
            (as_of,) = conn.execute("select as_of from sim.generation_run").fetchone()
        merge_on = as_of + timedelta(days=args.township_merge_on_day)
    probability = args.township_merge_probability
    summary = simulate_days(source, args.days, seed=args.seed, township_merge_on=merge_on,
                            merge_probability=TOWNSHIP_MERGE_PROBABILITY if probability is None else probability,
                            progress=lambda line: print(line, flush=True))
    print(summary.as_text().splitlines()[0])
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.extract_load import load_all

    settings = _settings(args)
    source, warehouse = resolve(settings)
    for result in load_all(source, warehouse, pipeline_run_id=args.run_id,
                           lag_seconds=settings.watermark_lag_seconds):
        print(result.as_text())
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.dbt_runner import run_dbt

    _, warehouse = resolve(_settings(args))
    print(run_dbt(warehouse, args.dbt_args or ["build"]))
    return 0


def cmd_transform(args: argparse.Namespace) -> int:
    """The pipeline's dbt step: incremental, or a full refresh (asked, weekly, or after a project change)."""
    from vaxdw import pipeline

    run_id = args.run_id or f"cli__{os.getpid()}"
    payload = pipeline.transform(run_id, _settings(args), full_refresh=args.full_refresh)["dbt"]
    print(f"dbt build ({payload['mode']}: {payload['reason']}): models={payload['models_built']} "
          f"tests passed={payload['tests_passed']} warned={payload['tests_warned']} "
          f"failed={payload['tests_failed']} ({payload['elapsed_seconds']}s)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from vaxdw.db import resolve
    from vaxdw.pipeline import load_ids_of_run
    from vaxdw.quality.checkpoint import run_checks

    _, warehouse = resolve(_settings(args))
    load_ids = [int(x) for x in args.load_ids.split(",")] if args.load_ids else load_ids_of_run(
        warehouse, args.run_id)
    print(run_checks(warehouse, load_ids, run_label=args.run_id or "cli").as_text())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from exporters.shizhong import write_shizhong
    from vaxdw.db import resolve
    from vaxdw.reports import cli_exports
    from vaxdw.reports.shizhong import query_shizhong

    settings = _settings(args)
    _, warehouse = resolve(settings)
    if args.report != "shizhong":
        return cli_exports.run(args, warehouse, settings.out_dir)
    if not (args.date_from and args.date_to):
        raise SystemExit("实种情况统计表需要 --from 和 --to（接种日期）")
    args.level = args.level or "county"
    report = query_shizhong(
        warehouse,
        level=args.level,
        region_code=args.region,
        date_from=date.fromisoformat(args.date_from),
        date_to=date.fromisoformat(args.date_to),
        vaccine_codes=args.vaccine or None,
        register_groups=args.register or None,
        view=args.view,
    )
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    view = "" if args.view == "detail" else f"_{args.view}"
    name = f"实种情况统计表{view}_{args.level}_{args.region or '61'}_{args.date_from}_{args.date_to}.xlsx"
    path = write_shizhong(report, settings.out_dir / name)
    print(f"{path}  ({len(report.rows)} rows, {report.total_doses:,} doses, {report.total_persons:,} persons)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline steps in this process, without Airflow (for debugging)."""
    from vaxdw import pipeline
    from vaxdw.db import resolve

    settings = _settings(args)
    run_id = args.run_id or f"cli__{os.getpid()}"
    pipeline.extract_load(run_id, settings)
    pipeline.transform(run_id, settings, full_refresh=args.full_refresh)
    pipeline.check_quality(run_id, settings)
    pipeline.export_statements(run_id, settings)
    print(pipeline.summary(resolve(settings)[1], run_id))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate a province and run the main DAG through Airflow, then print the summary."""
    from vaxdw import pipeline
    from vaxdw.airflow_env import airflow_env, dags_test
    from vaxdw.db import resolve

    settings = _settings(args)
    source, warehouse = resolve(settings)
    if not args.skip_generate:
        from vaxdw.simulator import generate

        print(f"Generating a simulated province (scale {args.scale}) …", flush=True)
        print(generate(source, scale=args.scale, seed=settings.seed).as_text(), flush=True)
        _reset_warehouse(warehouse)
    print("Running the main DAG through Airflow (airflow dags test vaxdw_main) …", flush=True)
    proc = dags_test(airflow_env(settings))
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-20000:] + proc.stderr[-20000:])
        print("The DAG run failed; see the log above.", file=sys.stderr)
        return proc.returncode
    print(pipeline.summary(warehouse, pipeline.latest_run_id(warehouse)))
    if not args.exchange:
        print("Exchange DAG skipped (--no-exchange).")
        return 0
    from vaxdw.exchange.demo import run_exchange_dag

    return run_exchange_dag(settings, warehouse)


def _reset_warehouse(warehouse) -> None:
    """A new generated source replaces the old: drop everything loaded from the previous one."""
    from vaxdw.db import connect

    with connect(warehouse) as conn:
        for schema in ("raw", "control", "staging", "intermediate", "marts", "seeds", "dq", "exchange"):
            conn.execute(f"drop schema if exists {schema} cascade")


def cmd_airflow(args: argparse.Namespace) -> int:
    from vaxdw.airflow_env import airflow_bin, airflow_env, ensure_airflow_db
    from vaxdw.db import resolve

    settings = _settings(args)
    resolve(settings)  # start the embedded database so the DAGs can reach it
    env = airflow_env(settings)
    ensure_airflow_db(env)
    return subprocess.call([airflow_bin(), *(args.airflow_args or ["standalone"])], env=env)


def cmd_docs_schema(args: argparse.Namespace) -> int:
    from vaxdw.contract.docs import render_markdown

    target = Path(args.output)
    target.write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


# Modules adding subcommands: each exposes ``register(subparsers)``.
COMMAND_MODULES: list[str] = [
    "vaxdw.exchange.cli",
    "vaxdw.quality.commands",
    "vaxdw.cli_event_reports",
    "vaxdw.cli_ops",
    "vaxdw.access.commands",
    "vaxdw.cli_obstetric",
    "vaxdw.bi.commands",
    "vaxdw.audit.commands",
    "vaxdw.cli_plans",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vaxdw", description="陕西省免疫规划数据仓库 (vaxdw)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="generate the simulated operational database")
    p.add_argument("--scale", default=get_settings().scale, choices=["tiny", "small", "demo", "province"])
    p.add_argument("--seed", type=int, default=get_settings().seed)
    p.add_argument("--children", type=int, default=None, help="override the number of children")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("simulate-days", help="advance the simulated operational database by N days")
    p.add_argument("days", type=int, help="number of days after the source's as_of to simulate")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the generation's seed)")
    p.add_argument("--township-merge-probability", type=float, default=None,
                   help="chance of a township merge per day (default 1/120)")
    p.add_argument("--township-merge-on-day", type=int, default=None, metavar="K",
                   help="force a township merge on the K-th simulated day of this run (1 = as_of + 1)")
    p.set_defaults(func=cmd_simulate_days)

    p = sub.add_parser("load", help="extract changed rows from the source into raw")
    p.add_argument("--run-id", default=None)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("dbt", help="run dbt against the warehouse (default: build)")
    p.add_argument("dbt_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_dbt)

    p = sub.add_parser("transform", help="the pipeline's dbt build: incremental (daily) or --full-refresh")
    p.add_argument("--full-refresh", action="store_true", help="rebuild every model from raw")
    p.add_argument("--run-id", default=None)
    p.set_defaults(func=cmd_transform)

    p = sub.add_parser("check", help="run the Great Expectations checkpoint on a batch")
    p.add_argument("--run-id", default=None, help="check the loads of this pipeline run")
    p.add_argument("--load-ids", default=None, help="comma-separated load ids")
    p.set_defaults(func=cmd_check)

    from vaxdw.reports import cli_exports

    p = sub.add_parser("export", help="export a report (实种情况统计表 and others) to Excel")
    p.add_argument("report", choices=["shizhong", *cli_exports.REPORTS])
    p.add_argument("--level", default=None, choices=["province", "city", "county", "township", "unit"],
                   help="browse level (default: county; cohort-coverage township; coverage-monitoring city)")
    p.add_argument("--region", default=None, help="region code to restrict to (e.g. 610100)")
    p.add_argument("--from", dest="date_from", default=None, help="vaccination date (or month) from (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", default=None, help="vaccination date (or month) to (YYYY-MM-DD)")
    p.add_argument("--vaccine", action="append", help="vaccine code (coverage-monitoring: category) (repeatable)")
    p.add_argument("--out", default=None, help="output folder (default: out/)")
    cli_exports.add_arguments(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("run", help="run the pipeline in-process (no Airflow)")
    p.add_argument("--run-id", default=None)
    p.add_argument("--full-refresh", action="store_true", help="dbt full refresh instead of incremental")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="generate a province and run the main DAG through Airflow")
    p.add_argument("--scale", default=get_settings().scale, choices=["tiny", "small", "demo", "province"])
    p.add_argument("--skip-generate", action="store_true", help="reuse the current source database")
    p.add_argument("--exchange", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the exchange DAG against the simulators (default; --no-exchange skips it)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("airflow", help="run an airflow command in the project's Airflow environment")
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_airflow)

    p = sub.add_parser("airflow-standalone", help="start the Airflow UI (airflow standalone)")
    p.set_defaults(func=cmd_airflow, airflow_args=["standalone"])

    p = sub.add_parser("docs-schema", help="regenerate docs/source-schema.md from the contract")
    p.add_argument("--output", default="docs/source-schema.md")
    p.set_defaults(func=cmd_docs_schema)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # pgserver's platformdirs noise
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "user", None):  # a named user of a restricted command: audit the login
        from vaxdw.audit.login import run_audited
        from vaxdw.db import resolve

        return run_audited(resolve(get_settings())[1], args, list(argv if argv is not None else sys.argv[1:]),
                           args.func)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
