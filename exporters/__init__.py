"""Excel statements (报表) for CDC staff, written with openpyxl.

`statement` holds the generic writer (title, filters, merged multi-row header, totals, print setup) and a
streaming writer for large detail exports; the per-report modules (e.g. `shizhong`) turn a report object
into a `Statement`.
"""

from exporters.statement import (
    INTEGER,
    RATE,
    TEXT,
    Column,
    Statement,
    StatementRow,
    write_detail,
    write_statement,
)

__all__ = [
    "INTEGER",
    "RATE",
    "TEXT",
    "Column",
    "Statement",
    "StatementRow",
    "write_detail",
    "write_statement",
]
