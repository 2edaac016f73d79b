"""The upload-readiness gate (上传拦截): records that break a blocking rule (severity error) are held
back from the national upload until repaired. ``marts.rpt_dq_upload_blocked`` lists them.

``held_back(warehouse, "vaccination")`` also holds back the doses of held-back recipients: a dose
cannot be uploaded for a child whose record the national system would reject.
"""

from __future__ import annotations

import pandas as pd

from vaxdw.db import PgParams, connect

TABLES = {
    "recipient": ("dim_recipients", "chk_recipients"),
    "vaccination": ("fct_vaccinations", "chk_vaccinations"),
    "staff": ("chk_staff",),
}


def held_back(warehouse: PgParams, table: str, include_recipient: bool = True) -> set[str]:
    """Keys (as text) of ``table`` (recipient | vaccination | staff) held back from the upload."""
    if table not in TABLES:
        raise ValueError(f"table must be one of {sorted(TABLES)}")
    with connect(warehouse) as conn:
        keys = {k for (k,) in conn.execute(
            "select row_key from marts.rpt_dq_upload_blocked where table_name = any(%s)", (list(TABLES[table]),)
        )}
        if table == "vaccination" and include_recipient:
            keys |= {k for (k,) in conn.execute(
                "select d.vaccination_id::text from marts.fct_vaccinations as d "
                "inner join marts.rpt_dq_upload_blocked as b on b.table_name = any(%s) "
                "and b.row_key = d.recipient_id::text",
                (list(TABLES["recipient"]),),
            )}
    return keys


def blocked_records(warehouse: PgParams) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cur = conn.execute("select * from marts.rpt_dq_upload_blocked order by table_name, row_key")
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
