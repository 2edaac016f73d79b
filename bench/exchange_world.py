"""Benchmark world for the exchange upload: a warehouse whose ``staging.stg_ops__vaccination`` holds N vaccination
records shaped like the generator's (same columns and types, valid codes, a few records the remote rejects),
written with one set-based INSERT … SELECT so the benchmark measures the exchange, not the generator.

Scales follow ``vaxdw/simulator/scales.py`` (about 19.5 vaccination records per child): small 10k children →
195k records, demo 40k → 780k.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg

from vaxdw.db import PgParams, connect
from vaxdw.simulator.code_tables import VACCINES

RECORDS_PER_SCALE = {"tiny": 20_000, "small": 195_000, "demo": 780_000}


def fresh_database(admin: PgParams, name: str) -> PgParams:
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return replace(admin, dbname=name)


def build_vaccinations(warehouse: PgParams, records: int) -> None:
    codes = [v.code for v in VACCINES]
    with connect(warehouse) as conn:
        conn.execute("""
            create schema if not exists staging;
            drop table if exists staging.stg_ops__vaccination;
            create table staging.stg_ops__vaccination (
                vaccination_id bigint primary key, recipient_id bigint, vaccine_code text, dose_no integer,
                vaccinated_at timestamp, unit_id text, vaccinator_id bigint, manufacturer_code text, batch_no text,
                expiry_date date, site_code text, route_code text, vacc_property text, is_free boolean,
                is_deleted boolean, entered_at timestamp, updated_at timestamp, _load_id bigint not null)
        """)
        conn.execute("""
            insert into staging.stg_ops__vaccination
            select
                i, 1000000 + i / 20, (%(codes)s::text[])[1 + i %% cardinality(%(codes)s::text[])], 1 + i %% 4,
                timestamp '2024-01-01 08:00' + (i %% 700) * interval '1 day' + (i %% 480) * interval '1 minute',
                '6101' || lpad((i %% 400)::text, 8, '0'), 5000 + i %% 900, lpad((i %% 30)::text, 2, '0'),
                -- about 0.2 %% without a batch number: the remote answers E101 (a per-record rejection)
                case when i %% 500 = 7 then null else 'B' || lpad((i %% 9000)::text, 8, '0') end,
                date '2026-12-31' - (i %% 300), lpad((i %% 9)::text, 2, '0'), lpad((i %% 5)::text, 2, '0'),
                (1 + i %% 2)::text, i %% 3 <> 0, false,
                timestamp '2024-01-01 09:00' + (i %% 700) * interval '1 day',
                timestamp '2024-01-01 09:00' + (i %% 700) * interval '1 day', 1
            from generate_series(1, %(n)s) as i
        """, {"codes": codes, "n": records})
        conn.execute("analyze staging.stg_ops__vaccination")
