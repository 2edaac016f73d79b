"""Memory and time of ``vaxdw generate``, phase by phase, in one process.

    python -m bench.generate_memory --children 5000 [--pgdata /tmp/gen-pg] [--tracemalloc]

Starts (or reuses) an embedded PostgreSQL in ``--pgdata``, generates scale ``province`` with ``--children``
into a fresh database, samples the process RSS every 0.2 s and at the start of each extension's ``finish``
and of the SQL fault injection, and prints one JSON object: wall seconds, peak RSS (ru_maxrss), the peak RSS
of each phase, and an order-independent checksum (row count and sum of md5 prefixes) of every ``ops``/``sim``
table, so two versions of the generator can be compared for identical output. ``--tracemalloc`` also prints
the largest allocation sites at each phase boundary (slow; small sizes only). The database is dropped at the
end; the data directory stays (remove it yourself).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import threading
import time
from dataclasses import replace

import psycopg

from vaxdw.db import connect, parse_url


def _rss_mib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def checksums(params) -> dict[str, str]:
    """``count:sum`` per table of ``ops`` and ``sim``: equal iff the same rows (in any physical order)."""
    with connect(params) as conn:
        tables = [row[0] for row in conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('ops', 'sim') order by 1")]
        result = {}
        for table in tables:
            count, total = conn.execute(
                f"select count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) "
                f"from {table} t").fetchone()
            result[table] = f"{count}:{total}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, required=True)
    parser.add_argument("--pgdata", default="/tmp/gen-pg")
    parser.add_argument("--dbname", default="bench_generate")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    import pgserver

    server = pgserver.get_server(args.pgdata, cleanup_mode=None)
    admin = parse_url(server.get_uri())
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{args.dbname}" with (force)')
        conn.execute(f'create database "{args.dbname}"')
    params = replace(admin, dbname=args.dbname)

    generate_module = importlib.import_module("vaxdw.simulator.generate")
    from vaxdw.simulator import extensions, quality_faults

    phase, peaks, marks = ["setup"], {}, []
    started = time.perf_counter()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peaks[phase[0]] = max(peaks.get(phase[0], 0), _rss_mib())

    def mark(name: str) -> None:
        rss = _rss_mib()
        peaks[phase[0]] = max(peaks.get(phase[0], 0), rss)
        marks.append((name, round(time.perf_counter() - started, 1), rss))
        phase[0] = name
        if args.tracemalloc:
            import tracemalloc

            print(f"== {name}: traced {tracemalloc.get_traced_memory()[0] / 2**20:.0f} MiB", file=sys.stderr)
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
                print("   ", stat, file=sys.stderr)

    finish, inject = extensions.finish, quality_faults.inject

    def timed_finish(plugin, ctx, emit, faults):
        mark(f"finish:{plugin.name}")
        return finish(plugin, ctx, emit, faults)

    def timed_inject(*a):
        mark("quality_faults")
        return inject(*a)

    extensions.finish, quality_faults.inject = timed_finish, timed_inject
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    threading.Thread(target=sample, daemon=True).start()
    generate_module.generate(params, scale="province", children=args.children)
    mark("end")
    done.set()
    result = {
        "children": args.children,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "phase_peak_rss_mib": peaks,
        "phase_starts": marks,
        "load_average": os.getloadavg(),
        "checksums": checksums(params),
    }
    print(json.dumps(result, ensure_ascii=False))
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{args.dbname}" with (force)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
