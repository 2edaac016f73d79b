"""Streaming rows into PostgreSQL with COPY, in bounded memory.

Each :class:`CopyWriter` owns one connection and one open ``COPY ... FROM STDIN``, so several
tables can be filled at the same time (recipients and their doses, township by township).
The data commits when the writer closes without an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import psycopg

from vaxdw.db import PgParams


class CopyWriter:
    def __init__(self, params: PgParams | None, qualified_table: str, columns: Sequence[str],
                 conn: psycopg.Connection | None = None) -> None:
        """``conn``: write inside that connection's open transaction (the caller commits) instead of
        opening a connection of its own."""
        self.params = params
        self.table = qualified_table
        self.columns = tuple(columns)
        self.rows = 0
        self._shared = conn
        self._conn: psycopg.Connection | None = None
        self._copy_cm: Any = None
        self._copy: Any = None

    def __enter__(self) -> CopyWriter:
        if self._shared is not None:
            self._conn = self._shared
        else:
            assert self.params is not None
            self._conn = psycopg.connect(self.params.url)
        cursor = self._conn.cursor()
        self._copy_cm = cursor.copy(f"copy {self.table} ({', '.join(self.columns)}) from stdin")
        self._copy = self._copy_cm.__enter__()
        return self

    def write(self, row: Sequence[Any]) -> None:
        self._copy.write_row(row)
        self.rows += 1

    def write_many(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.write(row)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        if self._shared is not None:
            self._copy_cm.__exit__(exc_type, exc, tb)
            return
        try:
            self._copy_cm.__exit__(exc_type, exc, tb)
            if exc_type is None:
                self._conn.commit()
            else:
                self._conn.rollback()
        finally:
            self._conn.close()
