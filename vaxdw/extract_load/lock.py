"""One lock orders the warehouse's loads and keeps them out of a running dbt build.

Every load takes it for its transaction and draws its load id under it, so load ids grow in commit order
across all tables: the incremental models read "the loads above the highest id I hold" and cannot miss a
load that committed late with a lower id. Every dbt invocation (``vaxdw.dbt_runner.run_dbt``) holds it for
its whole run (``loads_paused``), so no load commits between two models of one build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from vaxdw.db import PgParams, connect

LOCK_NAME = "vaxdw.load"


def lock_for_load(conn) -> None:
    """Take the load lock for the current transaction."""
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (LOCK_NAME,))


@contextmanager
def loads_paused(warehouse: PgParams) -> Iterator[None]:
    """Hold the load lock (session level) while the block runs: loads wait until it ends."""
    with connect(warehouse, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(hashtext(%s))", (LOCK_NAME,))
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (LOCK_NAME,))
