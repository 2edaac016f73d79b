"""Scratch tables of one generation: what a later phase needs from an earlier one, kept in the source
database instead of in memory, so a province generates in memory bounded by a batch, not by its size.

The generator creates schema ``gen_scratch`` (unlogged tables, text in collation "C" so ``order by`` sorts as
Python sorts strings) at the start and drops it at the end. Rows go in with COPY (:meth:`Scratch.writer`)
and come back sorted or aggregated through a server-side cursor (:meth:`Scratch.rows`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

from vaxdw.db import PgParams
from vaxdw.simulator.copy_writer import CopyWriter

SCHEMA = "gen_scratch"
WORK_MEM = "64MB"

TABLES = {
    # doses taken out of stock: one row per (unit, product, batch, day) and flush (summed when read)
    "stock_use": ('unit_id text collate "C"', 'vaccine_code text collate "C"', 'maker text collate "C"',
                  'batch_no text collate "C"', "day date", "doses integer"),
    # stock movements (traceability.finish), read back by document and by unit ledger
    "stock_flow": ('unit_id text collate "C"', "day date", 'doc_type text collate "C"',
                   'counterparty text collate "C"', 'reason text collate "C"', 'batch_id text collate "C"',
                   "qty integer"),
}


class Scratch:
    """Use as a context manager: leaving it rolls back the writers still open (after an error) and closes them."""

    def __init__(self, params: PgParams) -> None:
        self.params = params
        self._writers: dict[str, CopyWriter] = {}

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        error = exc or RuntimeError("generation did not finish")
        for writer in self._writers.values():
            writer.__exit__(type(error), error, tb)  # rolled back
        self._writers.clear()

    def create(self) -> None:
        with psycopg.connect(self.params.url) as conn:
            conn.execute(f"drop schema if exists {SCHEMA} cascade")
            conn.execute(f"create schema {SCHEMA}")
            for name, columns in TABLES.items():
                conn.execute(f"create unlogged table {SCHEMA}.{name} ({', '.join(columns)})")

    def drop(self) -> None:
        with psycopg.connect(self.params.url) as conn:
            conn.execute(f"drop schema if exists {SCHEMA} cascade")

    def open_writer(self, table: str) -> CopyWriter:
        """The open COPY writer into a scratch table (all columns, in order), opened on first use."""
        writer = self._writers.get(table)
        if writer is None:
            columns = [column.split()[0] for column in TABLES[table]]
            writer = CopyWriter(self.params, f"{SCHEMA}.{table}", columns).__enter__()
            self._writers[table] = writer
        return writer

    def commit(self, table: str) -> None:
        """Close the table's writer, if open: its rows become visible to :meth:`rows`."""
        writer = self._writers.pop(table, None)
        if writer is not None:
            writer.__exit__(None, None, None)

    def rows(self, sql: str, args: Sequence[Any] | dict[str, Any] | None = None,
             batch: int = 20_000) -> Iterator[tuple]:
        """The rows of a query, fetched ``batch`` at a time (``{s}`` in ``sql`` is the scratch schema)."""
        with psycopg.connect(self.params.url) as conn, conn.cursor(name="scratch_rows") as cursor:
            conn.execute(f"set local work_mem = '{WORK_MEM}'")  # sorts of a few million rows in memory
            cursor.itersize = batch
            cursor.execute(sql.replace("{s}", SCHEMA), args)
            yield from cursor
