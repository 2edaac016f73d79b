"""Order-independent content checksums of warehouse relations and of Excel statements.

Used to prove that an incrementally maintained warehouse equals a full rebuild
(tests/integration/test_incremental_invariant.py, bench/scale.py): each relation gets its row count
and the sum of a 64-bit hash of every row's text (no sort, so a table of millions of rows costs one scan).
A workbook gets the same per sheet, over its rows of cell values (:func:`workbook_checksums`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

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
    """The relation's columns, less the build-time ones and those named in ``exclude``: a bare name
    (``_load_id``) leaves the column out of every relation, ``schema.relation.column`` out of that one."""
    rows = conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum",
        (f'"{schema}"."{name}"',),
    ).fetchall()
    return [
        row[0] for row in rows
        if (schema, name, row[0]) not in BUILD_TIME_COLUMNS and row[0] not in exclude
        and f"{schema}.{name}.{row[0]}" not in exclude
    ]


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


def _cell(value) -> str:
    """A cell value as text with its type; floats to 12 significant digits (a sum or rate computed from the
    same numbers in another order may differ in the last binary digits)."""
    if isinstance(value, float):
        return f"float:{value:.12g}"
    return f"{type(value).__name__}:{value!r}"


def workbook_rows(path: str | Path, ignore_headers: Collection[str] = ()) -> dict[str, Counter]:
    """Per sheet of the workbook at ``path`` (by title), the multiset of its rows of cell values.

    Cell values only (openpyxl, ``data_only``): styles, widths, merges, print setup and the document
    properties (which hold the file's creation time) are not content. Rows without any value are left
    out, trailing empty cells are trimmed. A cell whose value is one of ``ignore_headers`` marks its column
    as ignored in that row and every later row of the sheet (a column whose values differ by construction,
    e.g. the time a check run found an anomaly).
    """
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: dict[str, Counter] = {}
        for sheet in book.worksheets:
            ignored: set[int] = set()
            rows: Counter = Counter()
            for values in sheet.iter_rows(values_only=True):
                ignored |= {i for i, value in enumerate(values)
                            if isinstance(value, str) and value in ignore_headers}
                row = [None if i in ignored else value for i, value in enumerate(values)]
                while row and row[-1] is None:
                    row.pop()
                if row:
                    rows[tuple(None if value is None else _cell(value) for value in row)] += 1
            sheets[sheet.title] = rows
        return sheets
    finally:
        book.close()


def rows_checksum(rows: Counter) -> Checksum:
    """Row count and sum of each row's 64-bit md5 prefix, like :func:`checksum` for a relation."""
    digest = sum(
        int.from_bytes(hashlib.md5(repr(row).encode(), usedforsecurity=False).digest()[:8], "big") * count
        for row, count in rows.items()
    )
    return Checksum(sum(rows.values()), digest % (1 << 64))


def workbook_checksums(directory: str | Path, ignore_headers: Collection[str] = ()) -> dict[str, Checksum]:
    """Checksum of every sheet of every ``.xlsx`` under ``directory``, keyed ``<relative path>:<sheet>``."""
    directory = Path(directory)
    return {
        f"{path.relative_to(directory)}:{sheet}": rows_checksum(rows)
        for path in sorted(directory.rglob("*.xlsx"))
        for sheet, rows in workbook_rows(path, ignore_headers).items()
    }
