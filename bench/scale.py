"""Benchmark: the whole pipeline at growing province sizes: the first full run against one simulated day's
incremental run, in one run of this script on one machine.

    make bench-scale                                   # small, demo and 4× demo (160,000 children)
    .venv/bin/python -m bench.scale --sizes small:10000,demo:40000 --days 1

For each size, on fresh databases of the embedded PostgreSQL (``bench_scale_src`` / ``bench_scale_wh``):

1. generate the province;
2. the first run: load everything, full dbt build (``--full-refresh``), quality checks, statements;
3. ``simulate-days`` one day (``--days``), then the daily run: load, incremental build, checks, statements;
4. the incremental build once more with nothing new loaded (``idle_build``: what every daily build costs).

Every step runs as a child process (``python -m bench.scale_step``): its wall time and peak RSS are recorded.
After each run: the size of every warehouse schema and of the source database. Results go to
``bench/results/scale.json`` and a line of ``bench/results/history.jsonl``. Compare ratios measured in this
run (the machines are shared): day ÷ full build, and the growth exponent between two sizes,
log(t_large / t_small) / log(children_large / children_small).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import psycopg

from vaxdw.db import connect, start_embedded
from vaxdw.settings import PROJECT_ROOT, get_settings

RESULTS = PROJECT_ROOT / "bench" / "results"
DEFAULT_SIZES = "small:10000,demo:40000,demo4x:160000"
STEPS = ("extract_load", "transform", "check_quality", "export_statements")


def _fresh(admin, name):
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return replace(admin, dbname=name)


def _drop(admin, name) -> None:
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


def _timed(argv: list[str], env: dict[str, str], label: str) -> dict:
    """Run a child process; its wall time and peak resident memory (KiB)."""
    started = time.monotonic()
    print(f"  {label} …", flush=True)
    proc = subprocess.Popen(argv, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    output = []
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0:
        sys.stdout.write("".join(output[-60:]))
        raise SystemExit(f"{label} failed (exit {proc.returncode})")
    print(f"  {label}: {seconds} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB", flush=True)
    return {"seconds": seconds, "peak_rss_mib": round(usage.ru_maxrss / 1024), "output_tail": "".join(output[-3:])}


def _sizes(source, warehouse) -> dict:
    with connect(warehouse) as conn:
        schemas = dict(conn.execute(
            "select n.nspname, sum(pg_total_relation_size(c.oid))::bigint from pg_class as c "
            "join pg_namespace as n on n.oid = c.relnamespace where c.relkind in ('r', 'm', 'p') "
            "and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') group by 1 order by 1"
        ).fetchall())
        (warehouse_bytes,) = conn.execute("select pg_database_size(current_database())").fetchone()
    with connect(source) as conn:
        (source_bytes,) = conn.execute("select pg_database_size(current_database())").fetchone()
    without_outbox = warehouse_bytes - schemas.get("exchange", 0)
    return {"source_bytes": source_bytes, "warehouse_bytes": warehouse_bytes, "schemas": schemas,
            "warehouse_without_exchange_over_source": round(without_outbox / source_bytes, 2)}


def _dbt_profile(slowest: int = 12) -> dict:
    """Where the last dbt build spent its time (dbt's run_results.json): model and test time summed over the
    threads, and the slowest nodes."""
    results = json.loads((PROJECT_ROOT / "dbt_project" / "target" / "run_results.json").read_text())["results"]
    def total(kind: str) -> float:
        return round(sum(r["execution_time"] for r in results if r["unique_id"].startswith(kind)), 1)
    nodes = sorted(results, key=lambda r: -r["execution_time"])[:slowest]
    return {"model_seconds": total("model."), "test_seconds": total("test."),
            "slowest": {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 1) for r in nodes}}


def _run(env: dict[str, str], run_id: str, full_refresh: bool) -> dict:
    steps = {}
    for step in STEPS:
        argv = [sys.executable, "-m", "bench.scale_step", step, run_id]
        if step == "transform" and full_refresh:
            argv.append("--full-refresh")
        steps[step] = _timed(argv, env, f"{run_id} {step}")
        if step == "transform":
            steps[step]["dbt"] = _dbt_profile()
    steps["total_seconds"] = round(sum(s["seconds"] for s in steps.values() if isinstance(s, dict)), 1)
    return steps


def bench_size(admin, name: str, children: int, days: int, seed: int) -> dict:
    print(f"== {name}: {children:,} children", flush=True)
    source, warehouse = _fresh(admin, "bench_scale_src"), _fresh(admin, "bench_scale_wh")
    env = dict(os.environ, VAXDW_SOURCE_URL=source.url, VAXDW_WAREHOUSE_URL=warehouse.url,
               VAXDW_OUT_DIR=str(RESULTS.parent / "out" / name), VAXDW_FULL_REFRESH_WEEKDAY="")
    vaxdw = [sys.executable, "-m", "vaxdw.cli"]
    result: dict = {"size": name, "children": children, "seed": seed}
    result["generate"] = _timed([*vaxdw, "generate", "--scale", "province", "--children", str(children),
                                 "--seed", str(seed)], env, "generate")
    result["first_run"] = _run(env, "first", full_refresh=True)
    result["after_first_run"] = _sizes(source, warehouse)
    result["simulate_days"] = _timed([*vaxdw, "simulate-days", str(days)], env, f"simulate-days {days}")
    result["day_run"] = _run(env, "day", full_refresh=False)
    result["after_day_run"] = _sizes(source, warehouse)
    # the same build again with nothing loaded: what a daily build costs whatever the day brought (dbt's
    # per-model work, the data tests, the models that follow the evaluation date)
    result["idle_build"] = _timed([sys.executable, "-m", "bench.scale_step", "transform", "idle"], env,
                                  "idle transform")
    result["idle_build"]["dbt"] = _dbt_profile()
    full = result["first_run"]["transform"]["seconds"]
    day = result["day_run"]["total_seconds"]
    result["day_over_full_build"] = round(day / full, 3)
    result["day_build_over_full_build"] = round(result["day_run"]["transform"]["seconds"] / full, 3)
    print(f"  day run {day} s ÷ full build {full} s = {result['day_over_full_build']}", flush=True)
    _drop(admin, "bench_scale_src")
    _drop(admin, "bench_scale_wh")
    return result


def exponents(results: list[dict]) -> dict:
    """Growth exponents between consecutive sizes: full build, day run, generation, first load."""
    out = {}
    for small, large in zip(results, results[1:], strict=False):
        factor = math.log(large["children"] / small["children"])
        pairs = {
            "full_build": (small["first_run"]["transform"]["seconds"], large["first_run"]["transform"]["seconds"]),
            "day_run": (small["day_run"]["total_seconds"], large["day_run"]["total_seconds"]),
            "day_build": (small["day_run"]["transform"]["seconds"], large["day_run"]["transform"]["seconds"]),
            "generate": (small["generate"]["seconds"], large["generate"]["seconds"]),
            "first_load": (small["first_run"]["extract_load"]["seconds"],
                           large["first_run"]["extract_load"]["seconds"]),
        }
        out[f"{small['size']}->{large['size']}"] = {
            name: round(math.log(max(b, 0.1) / max(a, 0.1)) / factor, 2) for name, (a, b) in pairs.items()
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="name:children,… (default %(default)s)")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=get_settings().seed)
    parser.add_argument("--output", default=str(RESULTS / "scale.json"))
    args = parser.parse_args(argv)
    sizes = [(part.split(":")[0], int(part.split(":")[1])) for part in args.sizes.split(",")]
    admin = start_embedded(get_settings())
    results: list[dict] = []
    report: dict = {}
    for name, children in sizes:  # the report is rewritten after each size: a long run keeps what it finished
        result = bench_size(admin, name, children, args.days, args.seed)
        for phase in (result["generate"], result["simulate_days"],
                      *(result[run][step] for run in ("first_run", "day_run") for step in STEPS)):
            phase.pop("output_tail", None)
        results.append(result)
        report = {
            "benchmark": "scale",
            "measured_at": datetime.now().isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()},
            "sizes_asked": args.sizes,
            "results": results,
            "exponents": exponents(results),
        }
        Path(args.output).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    with (RESULTS / "history.jsonl").open("a", encoding="utf-8") as history:
        history.write(json.dumps(report, ensure_ascii=False) + "\n")
    print(json.dumps(report["exponents"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
