"""The upload gate: records failing blocking (severity ``error``) quality rules are held back.

The quality package delivers ``vaxdw.quality.gate.held_back(warehouse, category) -> set[str]`` for recipients,
vaccinations and staff; for other categories, or before its mart is built, this module's fallback reads ``dq.failed_row`` joined to ``dq.rule`` (severity = 'error') for the latest check run
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


def held_back_reasons(warehouse: PgParams, table: str | None, category: str | None = None) -> dict[str, str]:
    """Row key → reason for every record to hold back.

    ``category`` (recipient, vaccination, staff) goes to the quality package's gate
    (``vaxdw.quality.gate.held_back``, which also holds back the doses of held-back recipients) when it
    knows the category and its mart ``marts.rpt_dq_upload_blocked`` exists; otherwise ``table`` (a dq table
    name, e.g. fct_stock_movements) is looked up in the dq results directly.
    """
    try:
        quality_gate = importlib.import_module("vaxdw.quality.gate")
    except ImportError:  # the quality package without a gate
        quality_gate = None
    if quality_gate is not None and category in getattr(quality_gate, "TABLES", {}):
        with connect(warehouse, autocommit=True) as conn:
            ready = conn.execute("select to_regclass('marts.rpt_dq_upload_blocked') is not null").fetchone()[0]
        if ready:
            return {str(key): "未通过阻断性质量规则（见 marts.rpt_dq_upload_blocked）"
                    for key in quality_gate.held_back(warehouse, category)}
    if not table:
        return {}
    with connect(warehouse, autocommit=True) as conn:
        exists = conn.execute("select to_regclass('dq.failed_row') is not null and "
                              "to_regclass('dq.check_result') is not null").fetchone()[0]
        if not exists:
            return {}
        return dict(conn.execute(FALLBACK_SQL, {"table": table}).fetchall())
