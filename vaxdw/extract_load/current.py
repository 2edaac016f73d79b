"""Which raw version of each source row is the current one (``raw.<table>._is_current``), kept by the loader.

raw keeps every version that was loaded; the staging views (dbt ``staging.stg_ops__*``) read the current
ones. Per key, the current version has the latest ``updated_at``, then the highest ``_load_id`` (a null
``updated_at`` sorts first, as PostgreSQL's ``desc`` puts nulls first): a newer load wins unless the current
row was updated later. A partial unique index on the key among current rows (``Table.current_index_ddl``)
makes two current versions of a key impossible and finds the current row of a key.

A version that stops being current keeps the load that superseded it (``raw.<table>._superseded_load_id``;
null while it is current, and for a version that never was: one loaded after a higher-ranked version). So
the versions current after load ``w`` and no longer are the rows with ``_load_id <= w < _superseded_load_id``
(a partial index finds them): a model that follows the day's changes subtracts what it derived from them
and adds what the current rows loaded above ``w`` give (dbt macro ``superseded_rows``).

A load marks its own rows only against the current rows of the same keys, in the load's transaction, so the
cost follows the load, not raw's history; the first load of a table lands its rows as current at once (the
source has one row per key). ``recompute_current_versions`` ranks a whole table again: for a table created
before the flag, after a restore, and for rows landed by hand (tests).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from vaxdw.contract import Table

# The versions a load competes with: its own rows, and the current rows of the same keys.
_LOAD_CANDIDATES = """
with loaded as (
    select {key} as row_key, updated_at, _load_id, false as was_current, _superseded_load_id
    from raw.{table}
    where _load_id = {load_id}
),

current_rows as (
    select {key} as row_key, updated_at, _load_id, true as was_current, _superseded_load_id
    from raw.{table}
    where _is_current and {key} in (select row_key from loaded)
)

select * from loaded
union all
select * from current_rows
"""

# Every version of the table.
_ALL_CANDIDATES = """
select {key} as row_key, updated_at, _load_id, _is_current as was_current, _superseded_load_id
from raw.{table}
"""

# The candidates whose flags must change. A version stopped being current at the first load of a version
# ranked above it (the lowest load id among those ranked above), unless one was there before it came.
_CHANGES = """
create temporary table current_changes on commit drop as
select row_key, _load_id, was_current, wins, superseded_load_id
from (
    select
        row_key,
        _load_id,
        was_current,
        wins,
        _superseded_load_id,
        case when not wins and loaded_above > _load_id then loaded_above end as superseded_load_id
    from (
        select
            *,
            row_number() over ranking = 1 as wins,
            min(_load_id) over (ranking rows between unbounded preceding and 1 preceding) as loaded_above
        from ({candidates}) as candidates
        window ranking as (partition by row_key order by updated_at desc, _load_id desc)
    ) as ranked
) as flagged
where was_current <> wins or _superseded_load_id is distinct from superseded_load_id
"""

# "versions._is_current" lets a demotion find the current rows by the partial index on the key
_DEMOTE = """
update raw.{table} as versions
set _is_current = false, _superseded_load_id = changes.superseded_load_id
from current_changes as changes
where versions._is_current
    and versions.{key} = changes.row_key
    and versions._load_id = changes._load_id
    and not changes.wins
"""

_PROMOTE = """
update raw.{table} as versions
set _is_current = true, _superseded_load_id = null
from current_changes as changes
where not versions._is_current
    and versions.{key} = changes.row_key
    and versions._load_id = changes._load_id
    and changes.wins
"""

# Versions that stay superseded but were superseded by another load (a whole-table ranking only: a load's
# own losing versions were never current, and their null is right).
_REDATE = """
update raw.{table} as versions
set _superseded_load_id = changes.superseded_load_id
from current_changes as changes
where not versions._is_current
    and versions.{key} = changes.row_key
    and versions._load_id = changes._load_id
    and not changes.was_current
    and not changes.wins
"""


def _format(query: str, table: Table, **values) -> sql.Composed:
    return sql.SQL(query).format(table=sql.Identifier(table.name), key=sql.Identifier(table.key),
                                 **{name: sql.Literal(value) for name, value in values.items()})


def is_first_load(conn: psycopg.Connection, table: Table) -> bool:
    """True when raw holds no version of the table yet: the load's rows are all current."""
    return not conn.execute(
        sql.SQL("select exists (select 1 from raw.{})").format(sql.Identifier(table.name))
    ).fetchone()[0]


def drop_current_indexes(conn: psycopg.Connection, table: Table) -> None:
    """Drop the indexes of the current versions (``Table.current_index_ddl`` creates them again): before a
    table's first load, whose rows are indexed faster in one sort afterwards than one by one, and before a
    restore's increments."""
    for (index,) in conn.execute(
            "select indexname from pg_indexes where schemaname = 'raw' and tablename = %s and indexname like %s",
            (table.name, f"{table.name}\\_current\\_%")).fetchall():
        conn.execute(sql.SQL("drop index raw.{}").format(sql.Identifier(index)))


def _mark(conn: psycopg.Connection, table: Table, candidates: sql.Composed,
          whole_table: bool) -> tuple[int, int, int]:
    """Rank the candidates per key and write the flags that differ; the demotions come first, so the unique
    index on the current keys never sees two current versions of a key. Returns (demoted, promoted,
    redated)."""
    conn.execute("drop table if exists current_changes")
    conn.execute(sql.SQL(_CHANGES).format(candidates=candidates))
    demoted = conn.execute(_format(_DEMOTE, table)).rowcount
    promoted = conn.execute(_format(_PROMOTE, table)).rowcount
    redated = conn.execute(_format(_REDATE, table)).rowcount if whole_table else 0
    conn.execute("drop table current_changes")
    return demoted, promoted, redated


def mark_current_versions(conn: psycopg.Connection, table: Table, load_id: int) -> tuple[int, int, int]:
    """Make the winning versions of load ``load_id``'s keys current (in the load's transaction)."""
    return _mark(conn, table, _format(_LOAD_CANDIDATES, table, load_id=load_id), whole_table=False)


def recompute_current_versions(conn: psycopg.Connection, table: Table) -> tuple[int, int, int]:
    """Rank every version of ``table`` again; only the rows whose flags differ are written."""
    return _mark(conn, table, _format(_ALL_CANDIDATES, table), whole_table=True)
