"""Benchmark: query time of every dashboard chart through Superset's chart data API, p95 per dashboard,
and which warehouse relations each chart query reads (none may be in raw, staging or intermediate: the
dashboards read the pre-aggregated marts).

    .venv/bin/python -m bench.superset_dashboards --scale small --repeat 5

Builds a warehouse (simulator ``--scale`` → load_all → dbt build → quality checks) in the databases
``src_bench_bi`` / ``wh_bench_bi`` of its own embedded PostgreSQL (``.pgdata-bench``), or uses
``--warehouse-url`` (e.g. the demo's warehouse) as it is — note that ``superset up`` resets the password of
the cluster-wide reader login, so run ``vaxdw superset up`` again afterwards for a Superset of that server.
Superset's metadata goes to a database of its own (``vaxdw_superset_bench``), dropped first. Starts Superset (own venv, temporary state folder, free port), imports the
assets and syncs access, then for each user (admin, and a city account to include the RLS clauses) and
each chart, ``--repeat`` times: ``POST /api/v1/chart/data`` with the chart's stored ``query_context``
and ``force`` (Superset's result cache bypassed: every sample is a warehouse query). The SQL of each
chart (``result_type: query``, as that user) is EXPLAINed and the relations in the plan are listed.

Writes bench/results/superset_dashboards.json (per dashboard: charts, samples, p50/p95/max seconds;
per chart: p95 and relations) and appends a line to bench/results/history.jsonl.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from vaxdw.bi import server
from vaxdw.bi.client import SupersetClient
from vaxdw.bi.setup import superset_up
from vaxdw.db import PgParams, parse_url, start_embedded
from vaxdw.settings import PROJECT_ROOT, get_settings

RESULTS = PROJECT_ROOT / "bench" / "results"
RUN_ID = "bench-superset"
BENCH_PGDATA = PROJECT_ROOT / ".pgdata-bench"
BENCH_METADATA_DB = "vaxdw_superset_bench"
FORBIDDEN_SCHEMAS = ("raw", "staging", "intermediate")


def build_warehouse(admin: PgParams, scale: str, seed: int) -> PgParams:
    from vaxdw.dbt_runner import run_dbt
    from vaxdw.extract_load import load_all
    from vaxdw.pipeline import load_ids_of_run
    from vaxdw.quality.checkpoint import run_checks
    from vaxdw.simulator import generate

    names = ("src_bench_bi", "wh_bench_bi")
    with psycopg.connect(admin.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(admin, dbname=name) for name in names)
    generate(source, scale=scale, seed=seed)
    load_all(source, warehouse, pipeline_run_id=RUN_ID)
    run_dbt(warehouse, ["build"])
    run_checks(warehouse, load_ids_of_run(warehouse, RUN_ID), run_label=RUN_ID, data_docs=False)
    return warehouse


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _relations(plan: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            out.add(f"{plan.get('Schema', '?')}.{plan['Relation Name']}")
        for value in plan.values():
            out |= _relations(value)
    elif isinstance(plan, list):
        for item in plan:
            out |= _relations(item)
    return out


def chart_query_context(client: SupersetClient, chart_id: int) -> dict[str, Any]:
    chart = client.get(f"/api/v1/chart/{chart_id}")["result"]
    qc = json.loads(chart["query_context"])
    datasource = {"id": chart["datasource_id"] if "datasource_id" in chart else None, "type": "table"}
    if datasource["id"] is None:  # the API names it in params
        datasource["id"] = int(json.loads(chart["params"])["datasource"].split("__")[0])
    qc["datasource"] = datasource
    qc["form_data"] = {**qc.get("form_data", {}), "datasource": f"{datasource['id']}__table"}
    return qc


def measure(client: SupersetClient, warehouse: PgParams, repeat: int) -> dict[str, Any]:
    dashboards = client.list_all("/api/v1/dashboard/", ["id", "slug", "dashboard_title"])
    out: dict[str, Any] = {}
    with psycopg.connect(warehouse.url) as conn:
        for board in sorted(dashboards, key=lambda b: b["slug"] or ""):
            charts = client.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]
            samples: list[float] = []
            per_chart = {}
            for chart in charts:
                qc = chart_query_context(client, chart["id"])
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    client.post("/api/v1/chart/data", {**qc, "force": True, "result_type": "full"})
                    times.append(time.perf_counter() - started)
                sql_doc = client.post("/api/v1/chart/data", {**qc, "force": True, "result_type": "query"})
                relations: set[str] = set()
                for result in sql_doc["result"]:
                    plan = conn.execute(f"explain (verbose, format json) {result['query']}").fetchone()[0]
                    relations |= _relations(plan)
                samples += times
                per_chart[chart["slice_name"]] = {
                    "p95_s": round(_percentile(times, 0.95), 3), "median_s": round(statistics.median(times), 3),
                    "relations": sorted(relations),
                    "touches_raw_or_staging": sorted(r for r in relations if r.split(".")[0] in FORBIDDEN_SCHEMAS),
                }
            out[board["slug"]] = {
                "title": board["dashboard_title"], "charts": len(charts), "samples": len(samples),
                "p50_s": round(_percentile(samples, 0.5), 3) if samples else None,
                "p95_s": round(_percentile(samples, 0.95), 3) if samples else None,
                "max_s": round(max(samples), 3) if samples else None,
                "chart_detail": per_chart,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=None,
                        help="simulator scale of the warehouse built (tiny/small/demo; default small); with "
                             "--warehouse-url, the scale that warehouse was built at (recorded only)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warehouse-url", default=None, help="use this warehouse as it is (no build)")
    parser.add_argument("--users", nargs="+", default=["admin", "xian_cdc"])
    args = parser.parse_args()

    settings = replace(get_settings(), pgdata_dir=BENCH_PGDATA)
    server.METADATA_DB = BENCH_METADATA_DB  # never the metadata of an analyst's Superset on that server
    started = time.perf_counter()
    if args.warehouse_url:
        warehouse = parse_url(args.warehouse_url)
        scale = f"{args.scale} (given warehouse)" if args.scale else "given"
    else:
        scale = args.scale or "small"
        warehouse = build_warehouse(start_embedded(settings), scale, args.seed)
    build_seconds = round(time.perf_counter() - started, 1)
    with psycopg.connect(warehouse.url) as conn:
        sizes = {t: conn.execute(f"select count(*) from marts.{t}").fetchone()[0]
                 for t in ("fct_vaccinations", "rpt_entry_timeliness", "rpt_coverage_monthly", "fct_stock_movements")}

    with tempfile.TemporaryDirectory(prefix="bench-superset-") as home:
        with psycopg.connect(replace(warehouse, dbname="postgres").url, autocommit=True) as conn:
            conn.execute(f"drop database if exists {server.METADATA_DB} with (force)")
        bench_settings = replace(settings, superset_home=Path(home), superset_port=_free_port(),
                                 superset_admin_password=None)
        sup = server.instance(bench_settings)
        try:
            superset_up(bench_settings, warehouse)
            passwords = json.loads((sup.home / "passwords.json").read_text(encoding="utf-8"))
            per_user = {}
            for user in args.users:
                password = sup.admin_password if user == sup.admin else passwords[user]
                per_user[user] = measure(SupersetClient(sup.base_url, user, password), warehouse, args.repeat)
        finally:
            server.stop(sup)

    touching = sorted({f"{slug}/{name}" for boards in per_user.values() for slug, board in boards.items()
                       for name, chart in board["chart_detail"].items() if chart["touches_raw_or_staging"]})
    result = {
        "benchmark": "superset_dashboards",
        "at": datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "scale": scale,
        "warehouse_rows": sizes,
        "build_seconds": build_seconds,
        "repeat": args.repeat,
        "cache": "bypassed (force=true): every sample queries the warehouse",
        "p95_s_per_dashboard": {user: {slug: b["p95_s"] for slug, b in boards.items()} for user, boards in per_user.items()},
        "charts_touching_raw_or_staging": touching,
        "users": per_user,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "superset_dashboards.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    summary = {k: v for k, v in result.items() if k != "users"}
    with (RESULTS / "history.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(summary, ensure_ascii=False) + "\n")
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
