"""The upload gate: records failing blocking (severity ``error``) quality rules are held back.

The quality issue delivers ``vaxdw.quality.held_back(warehouse, table) -> set[str]``; until it exists this
module's fallback reads ``dq.failed_row`` joined to ``dq.rule`` (severity = 'error') for the latest check run
that covered the table. Either way the caller gets the set of row keys (as text) to hold back, with the
rule messages for the listing.
"""

from __future__ import annotations

import importlib

from vaxdw.db import PgParams, connect

FALLBACK_SQL = """
with latest_run as (
    select max(failed_row.run_id) as run_id
    from dq.failed_row
    inner join dq.check_result
        on failed_row.run_id = check_result.run_id and failed_row.rule_id = check_result.rule_id
    where check_result.table_name = %(table)s
),
blocking as (
    select distinct rule_id from dq.rule where severity = 'error'
)
select failed_row.row_key, string_agg(distinct failed_row.rule_id || ': ' || failed_row.message_zh, '; ')
from dq.failed_row
inner join latest_run on failed_row.run_id = latest_run.run_id
inner join blocking on failed_row.rule_id = blocking.rule_id
where failed_row.table_name = %(table)s
group by failed_row.row_key
"""


def held_back_reasons(warehouse: PgParams, table: str | None) -> dict[str, str]:
    """Row key → reason for every row of ``table`` (a dq table name, e.g. dim_recipients) to hold back."""
    if not table:
        return {}
    try:
        quality = importlib.import_module("vaxdw.quality")
        provided = getattr(quality, "held_back", None)
    except ImportError:  # pragma: no cover
        provided = None
    if provided is not None:
        return {str(key): "未通过阻断性质量规则" for key in provided(warehouse, table)}
    with connect(warehouse, autocommit=True) as conn:
        exists = conn.execute("select to_regclass('dq.failed_row') is not null and "
                              "to_regclass('dq.check_result') is not null").fetchone()[0]
        if not exists:
            return {}
        return dict(conn.execute(FALLBACK_SQL, {"table": table}).fetchall())
