"""Benchmark: extract/load throughput against a plain COPY of the same rows, in the same run.

    make bench            # or: .venv/bin/python -m bench.load_throughput --scale small

Generates a province (default scale ``small``) into a benchmark database pair on the embedded
PostgreSQL, then alternates, ``--repeat`` times:
- vaxdw's load of ``vaccination`` and ``recipient`` into an empty ``raw`` (watermark, temp table,
  type checks, quarantine, control row — everything the pipeline does);
- a plain ``COPY (select …) TO STDOUT`` → ``COPY … FROM STDIN`` of the same rows into an untyped-checked
  table with the source's column types in the same warehouse database.
Reports rows/s of each (median of the repeats) and the ratio; writes ``bench/results/load_throughput.json``
and appends a line to ``bench/results/history.jsonl``. The machines are shared: only the ratio, measured
in one run, is meaningful. Goal: ratio ≥ 0.5.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from dataclasses import replace
from datetime import datetime

import psycopg
from psycopg import sql

from vaxdw.contract import table
from vaxdw.db import connect, start_embedded
from vaxdw.extract_load import load_table
from vaxdw.settings import PROJECT_ROOT, get_settings

RESULTS = PROJECT_ROOT / "bench" / "results"
TABLES = ("recipient", "vaccination")


def _fresh(admin, name):
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return replace(admin, dbname=name)


def _plain_copy(source, warehouse, name: str) -> int:
    tbl = table(name)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in tbl.column_names)
    with connect(warehouse) as wh, connect(source) as src:
        wh.execute("create schema if not exists plain")
        wh.execute(f"drop table if exists plain.{name}")
        # same columns, the source's own types (legacy text stays text): a plain copy of the rows as they are
        columns = ", ".join(f"{col.name} {col.source_type}" for col in tbl.columns)
        wh.execute(f"create table plain.{name} ({columns})")
        wh.commit()
        with wh.transaction():
            out = sql.SQL("copy (select {cols} from ops.{t}) to stdout").format(cols=cols, t=sql.Identifier(name))
            into = sql.SQL("copy plain.{t} ({cols}) from stdin").format(cols=cols, t=sql.Identifier(name))
            with src.cursor().copy(out) as reader, wh.cursor().copy(into) as writer:
                for chunk in reader:
                    writer.write(chunk)
            return wh.execute(f"select count(*) from plain.{name}").fetchone()[0]


def _reset_warehouse(warehouse) -> None:
    with connect(warehouse) as wh:
        wh.execute("drop schema if exists raw cascade; drop schema if exists control cascade; "
                   "drop schema if exists plain cascade")


def run(scale: str, repeat: int) -> dict:
    from vaxdw.simulator import generate

    settings = get_settings()
    settings = replace(settings, pgdata_dir=PROJECT_ROOT / ".pgdata-bench")
    admin = start_embedded(settings)
    source, warehouse = _fresh(admin, "bench_source"), _fresh(admin, "bench_warehouse")
    generate(source, scale=scale, seed=settings.seed)
    timings: dict[str, list[float]] = {"vaxdw_load": [], "plain_copy": []}
    rows = 0
    for _ in range(repeat):
        _reset_warehouse(warehouse)
        start = time.perf_counter()
        rows = sum(load_table(source, warehouse, table(name)).rows_read for name in TABLES)
        timings["vaxdw_load"].append(time.perf_counter() - start)
        start = time.perf_counter()
        plain_rows = sum(_plain_copy(source, warehouse, name) for name in TABLES)
        timings["plain_copy"].append(time.perf_counter() - start)
        assert plain_rows == rows, (plain_rows, rows)
    load_rate = rows / statistics.median(timings["vaxdw_load"])
    copy_rate = rows / statistics.median(timings["plain_copy"])
    return {
        "benchmark": "load_throughput",
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "scale": scale,
        "tables": list(TABLES),
        "rows": rows,
        "repeat": repeat,
        "seconds": timings,
        "vaxdw_rows_per_s": round(load_rate),
        "plain_copy_rows_per_s": round(copy_rate),
        "ratio": round(load_rate / copy_rate, 3),
        "goal_ratio": 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = run(args.scale, args.repeat)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load_throughput.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(
        f"rows {result['rows']:,}: vaxdw load {result['vaxdw_rows_per_s']:,} rows/s, plain COPY "
        f"{result['plain_copy_rows_per_s']:,} rows/s, ratio {result['ratio']} (goal ≥ {result['goal_ratio']})"
    )


if __name__ == "__main__":
    main()
