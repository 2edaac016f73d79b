"""个案随机抽查 (issue 3 item 27): a reproducible random sample of children for record spot checks.

The sampling frame is ``marts.rpt_case_sample_frame`` (current recipients with managing unit and region).
Candidates are filtered by region (any level of the managing unit), birth-date range and register groups,
ordered by ``md5(seed || ':' || recipient_id)`` and the first ``sample_size`` taken — or, stratified by
unit, the first ``sample_size`` of every managing unit. The same seed on the same frame gives the same
sample; the seed, the filters and the members are stored in ``sampling.case_sample`` and
``sampling.case_sample_member`` so a sample can be exported again or audited later.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from vaxdw.db import PgParams, connect
from vaxdw.reports.common import (
    MANAGING_UNIT_COLUMNS,
    REGISTER_GROUP_LABELS,
    check_range,
    date_range,
    period_label,
    region_label,
    region_scope,
)

FRAME = "marts.rpt_case_sample_frame"
DDL = """
create schema if not exists sampling;
create table if not exists sampling.case_sample (
    sample_id bigserial primary key,
    created_at timestamptz not null default now(),
    created_by text not null,
    seed bigint not null,
    sample_size integer not null,
    stratify_by_unit boolean not null,
    filters jsonb not null,
    candidates integer not null,
    members integer not null
);
create table if not exists sampling.case_sample_member (
    sample_id bigint not null references sampling.case_sample (sample_id),
    sample_rank integer not null,
    recipient_id bigint not null,
    managing_unit_id text,
    primary key (sample_id, recipient_id)
);
"""
DETAIL_COLUMNS = [
    "sample_rank", "recipient_id", "recipient_name", "sex_name", "birth_date", "id_number", "mother_name",
    "register_status_name", "managing_unit_id", "managing_unit_name", "doses", "last_vaccination_date",
]


@dataclass
class CaseSample:
    sample_id: int
    seed: int
    sample_size: int
    stratify_by_unit: bool
    candidates: int
    members: int
    filters: dict[str, str]


def draw_sample(
    params: PgParams,
    sample_size: int,
    seed: int | None = None,
    region_code: str | None = None,
    birth_from: date | None = None,
    birth_to: date | None = None,
    register_groups: Sequence[str] | None = None,
    stratify_by_unit: bool = False,
    created_by: str = "vaxdw",
) -> CaseSample:
    if sample_size < 1:
        raise ValueError(f"抽样数量必须为正整数：{sample_size}")
    check_range("出生日期", birth_from, birth_to)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    query_params: dict[str, object] = {"seed": str(seed), "sample_size": sample_size}
    clauses = date_range("birth_date", "birth", birth_from, birth_to, query_params)
    scope = region_scope(MANAGING_UNIT_COLUMNS, region_code, query_params)
    if scope:
        clauses.append(scope)
    if register_groups:
        clauses.append("register_group = any(%(register_groups)s)")
        query_params["register_groups"] = list(register_groups)
    where = " and ".join(clauses) or "true"
    partition = "partition by managing_unit_id" if stratify_by_unit else ""
    filters = {
        "抽样范围": region_label(params, region_code),
        "出生日期": period_label(birth_from, birth_to),
        "在册情况": "、".join(REGISTER_GROUP_LABELS.get(g, g) for g in register_groups) if register_groups else "全部",
        "抽样数量": f"{sample_size}" + ("（每个接种单位）" if stratify_by_unit else ""),
        "随机种子": str(seed),
    }
    with connect(params) as conn:
        conn.execute(DDL)
        candidates = conn.execute(f"select count(*) from {FRAME} where {where}", query_params).fetchone()[0]
        sample_id = conn.execute(
            "insert into sampling.case_sample (created_by, seed, sample_size, stratify_by_unit, filters, "
            "candidates, members) values (%s, %s, %s, %s, %s, %s, 0) returning sample_id",
            (created_by, seed, sample_size, stratify_by_unit, json.dumps(filters, ensure_ascii=False), candidates),
        ).fetchone()[0]
        query_params["sample_id"] = sample_id
        members = conn.execute(f"""
            insert into sampling.case_sample_member (sample_id, sample_rank, recipient_id, managing_unit_id)
            select %(sample_id)s, row_number() over (order by managing_unit_id, draw_rank, recipient_id),
                recipient_id, managing_unit_id
            from (
                select recipient_id, managing_unit_id,
                    row_number() over ({partition} order by md5(%(seed)s || ':' || recipient_id::text),
                        recipient_id) as draw_rank
                from {FRAME}
                where {where}
            ) as drawn
            where draw_rank <= %(sample_size)s
        """, query_params).rowcount
        conn.execute("update sampling.case_sample set members = %s where sample_id = %s", (members, sample_id))
    return CaseSample(sample_id, seed, sample_size, stratify_by_unit, int(candidates), int(members), filters)


def sample_members(params: PgParams, sample_id: int) -> list[int]:
    with connect(params) as conn:
        return [row[0] for row in conn.execute(
            "select recipient_id from sampling.case_sample_member where sample_id = %s order by sample_rank",
            (sample_id,))]


def iter_sample(params: PgParams, sample_id: int) -> Iterator[tuple]:
    """The sampled children with their frame columns, streamed with a server-side cursor."""
    columns = ", ".join(f"frame.{c}" if c != "sample_rank" else "members.sample_rank" for c in DETAIL_COLUMNS)
    with connect(params) as conn, conn.cursor(name="case_sample") as cursor:
        cursor.itersize = 5000
        cursor.execute(f"""
            select {columns}
            from sampling.case_sample_member as members
            inner join {FRAME} as frame on members.recipient_id = frame.recipient_id
            where members.sample_id = %s
            order by members.sample_rank
        """, (sample_id,))
        yield from cursor
