"""产科档案推送: decide each newborn record's receiving clinic and push it after the configured cycle.

Config ``config/obstetric_push.yaml`` (``rule``: household | residence | obstetric, ``cycle_days``; the
defaults are residence and 7 days). Reads ``marts.fct_newborns`` and ``marts.dim_unit``; writes
- ``obstetric.newborn_push``: one row per pushed record (newborn_id is the key, so a record is pushed
  once however often the task reruns), with the rule, the receiving clinic, when it was due and pushed;
- ``obstetric.newborn_arriving``: records not pushed yet with their receiving clinic and due date
  (replaced every run), and the view ``obstetric.v_newborn_arriving`` that clinics read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from vaxdw.db import PgParams, connect

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "obstetric_push.yaml"
RULES = {"household": "household_township_code", "residence": "residence_township_code", "obstetric": None}

DDL = """
create schema if not exists obstetric;
create table if not exists obstetric.newborn_push (
    newborn_id bigint primary key,
    obstetric_unit_id text not null,
    receiving_unit_id text not null,
    rule text not null,
    due_at timestamp not null,
    pushed_at timestamptz not null default now(),
    pipeline_run_id text
);
create table if not exists obstetric.newborn_arriving (
    newborn_id bigint primary key,
    obstetric_unit_id text not null,
    receiving_unit_id text not null,
    rule text not null,
    birth_at timestamp not null,
    due_at timestamp not null
);
create or replace view obstetric.v_newborn_arriving as
select arriving.*, units.unit_name as receiving_unit_name
from obstetric.newborn_arriving as arriving
left join marts.dim_unit as units on arriving.receiving_unit_id = units.unit_id;
"""


@dataclass(frozen=True)
class PushConfig:
    rule: str = "residence"
    cycle_days: int = 7


def load_config(path: Path | None = None) -> PushConfig:
    path = path or CONFIG_PATH
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    config = PushConfig(**{k: v for k, v in (data or {}).items() if k in ("rule", "cycle_days")})
    if config.rule not in RULES:
        raise ValueError(f"推送规则无效：{config.rule}（可选 household 户籍地, residence 现住址, obstetric 产科所在地）")
    if not isinstance(config.cycle_days, int) or config.cycle_days < 0:
        raise ValueError(f"推送周期天数无效：{config.cycle_days}")
    return config


def _candidates_sql(rule: str) -> str:
    township = RULES[rule]
    township_expr = f"newborns.{township}" if township else "obstetric_units.township_code"
    return f"""
        with clinics as (
            select unit_id, township_code, recorded_township_code, county_code,
                   row_number() over (partition by county_code order by unit_id) as county_rank
            from marts.dim_unit where unit_type = 'clinic' and is_active
        ),
        newborns as (
            select * from marts.fct_newborns
            where newborn_id not in (select newborn_id from obstetric.newborn_push)
        ),
        placed as (
            select
                newborns.newborn_id,
                newborns.unit_id as obstetric_unit_id,
                newborns.birth_at,
                newborns.created_at + make_interval(days => %(cycle_days)s) as due_at,
                coalesce(
                    (select clinics.unit_id from clinics
                     where {township_expr} in (clinics.township_code, clinics.recorded_township_code)
                     order by clinics.unit_id limit 1),
                    (select clinics.unit_id from clinics
                     where clinics.county_code = coalesce(
                         (select county_code from marts.dim_unit
                          where {township_expr} in (township_code, recorded_township_code) limit 1),
                         newborns.unit_county_code)
                       and clinics.county_rank = 1)
                ) as receiving_unit_id
            from newborns
            left join marts.dim_unit as obstetric_units on newborns.unit_id = obstetric_units.unit_id
        )
        select newborn_id, obstetric_unit_id, receiving_unit_id, birth_at, due_at from placed
        where receiving_unit_id is not null
    """


def push_newborns(warehouse: PgParams, as_of: datetime, config: PushConfig | None = None,
                  pipeline_run_id: str | None = None) -> dict[str, int]:
    """Push every record due by ``as_of`` (naive Asia/Shanghai); returns counts pushed / arriving."""
    config = config or load_config()
    with connect(warehouse) as conn:
        conn.execute(DDL)
        conn.execute("create temporary table push_candidate on commit drop as " + _candidates_sql(config.rule),
                     {"cycle_days": config.cycle_days})
        pushed = conn.execute(
            "insert into obstetric.newborn_push (newborn_id, obstetric_unit_id, receiving_unit_id, rule, due_at, "
            "pipeline_run_id) select newborn_id, obstetric_unit_id, receiving_unit_id, %(rule)s, due_at, %(run)s "
            "from push_candidate where due_at <= %(as_of)s on conflict (newborn_id) do nothing",
            {"rule": config.rule, "run": pipeline_run_id, "as_of": as_of},
        ).rowcount
        conn.execute("truncate obstetric.newborn_arriving")
        arriving = conn.execute(
            "insert into obstetric.newborn_arriving select newborn_id, obstetric_unit_id, receiving_unit_id, "
            "%(rule)s, birth_at, due_at from push_candidate where due_at > %(as_of)s",
            {"rule": config.rule, "as_of": as_of},
        ).rowcount
    return {"pushed": pushed, "arriving": arriving}


def run_push(pipeline_run_id: str | None = None) -> dict[str, int]:
    """The DAG task: push as of now (the real clock, Asia/Shanghai) into the configured warehouse.

    A push is a delivery that happens now, so it is not moved by VAXDW_EVALUATION_DATE."""
    from vaxdw import clock
    from vaxdw.db import resolve

    _, warehouse = resolve()
    now = clock.local_now().replace(tzinfo=None)
    return push_newborns(warehouse, now, pipeline_run_id=pipeline_run_id)
