"""Order-independent content checksums of warehouse relations.

Used to prove that an incrementally maintained warehouse equals a full rebuild
(tests/integration/test_incremental_invariant.py, bench/scale.py): each relation gets its row count
and the sum of a 64-bit hash of every row's text (no sort, so a table of millions of rows costs one scan).
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

# Columns whose value is the time of the build itself, not content: they differ between any two builds.
BUILD_TIME_COLUMNS = {
    ("marts", "rpt_staff_upload", "statuses_as_of"),
}


@dataclass(frozen=True)
class Checksum:
    rows: int
    digest: int

    def __str__(self) -> str:
        return f"{self.rows} rows, {self.digest:x}"


def relations(conn, schemas: list[str]) -> list[tuple[str, str]]:
    """Tables, views and materialised views (partitions excluded) of ``schemas``, by schema and name."""
    return [
        (schema, name)
        for schema, name in conn.execute(
            """
            select n.nspname, c.relname
            from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p') and not c.relispartition
                and c.relname not like '%%__dbt_tmp%%' and c.relname not like '%%__dbt_backup'
            order by 1, 2
            """,
            (schemas,),
        )
    ]


def columns(conn, schema: str, name: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The relation's columns, less the build-time ones and those named in ``exclude``."""
    rows = conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum",
        (f'"{schema}"."{name}"',),
    ).fetchall()
    return [row[0] for row in rows if (schema, name, row[0]) not in BUILD_TIME_COLUMNS and row[0] not in exclude]


def checksum(conn, schema: str, name: str, exclude_columns: tuple[str, ...] = ()) -> Checksum:
    """Row count and the sum of each row's 64-bit md5 prefix: equal contents give equal checksums."""
    names = columns(conn, schema, name, exclude_columns)
    row = sql.SQL("row({})").format(sql.SQL(", ").join(sql.Identifier(c) for c in names))
    query = sql.SQL(
        "select count(*), coalesce(sum(('x' || left(md5({row}::text), 16))::bit(64)::bigint::numeric), 0) "
        "from {relation}"
    ).format(row=row, relation=sql.Identifier(schema, name))
    rows, digest = conn.execute(query).fetchone()
    return Checksum(int(rows), int(digest) % (1 << 64))


def checksums(conn, schemas: list[str], exclude: set[str] | None = None,
              exclude_columns: tuple[str, ...] = ()) -> dict[str, Checksum]:
    """Checksum of every relation of ``schemas`` (``schema.name`` keys), less the relations named in
    ``exclude`` and the columns named in ``exclude_columns``."""
    exclude = exclude or set()
    return {
        f"{schema}.{name}": checksum(conn, schema, name, exclude_columns)
        for schema, name in relations(conn, schemas)
        if f"{schema}.{name}" not in exclude
    }


def differences(before: dict[str, Checksum], after: dict[str, Checksum]) -> dict[str, tuple]:
    """The relations whose checksum (or existence) differs, with both values."""
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
