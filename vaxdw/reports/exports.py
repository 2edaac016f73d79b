"""The statements the pipeline writes after every build: one registry, one loop.

Each module in ``EXPORT_MODULES`` exposes
``default_exports(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]``
writing its statements for the default period and returning one dict per file
(``path``, ``report``, ``rows``, plus any counts worth printing in the summary).
"""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

from vaxdw.db import PgParams

EXPORT_MODULES: list[str] = [
    "vaxdw.reports.shizhong_exports",
    "vaxdw.reports.anomaly_exports",
    "vaxdw.reports.coverage_exports",
    "vaxdw.reports.event_exports",
    "vaxdw.reports.obstetric_exports",
    "vaxdw.reports.stock_statement_exports",
]


def write_all(warehouse: PgParams, out_dir: Path, date_from: date, date_to: date) -> list[dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[dict] = []
    for name in EXPORT_MODULES:
        files.extend(importlib.import_module(name).default_exports(warehouse, out_dir, date_from, date_to))
    return files
