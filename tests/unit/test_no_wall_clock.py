"""Nothing reads the wall clock behind vaxdw.clock's back.

Business "today" is vaxdw.clock.today() (VAXDW_EVALUATION_DATE, frozen for the test session in
tests/conftest.py); event time is vaxdw.clock.now(). A direct ``date.today()``, ``datetime.now()``, … makes a
report default or a test depend on the day it runs (main went red when the calendar reached December 2026),
so this scan fails on any use outside the allow-lists below. Tests may not read even vaxdw.clock's real time
except where they compare with rows the database stamped with its own now().
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the tree this test belongs to
SCANNED = ("vaxdw", "exporters", "dags", "tests")
# (object, attribute) pairs that read the wall clock
WALL_CLOCK = {("date", "today"), ("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"),
              ("time", "localtime"), ("Timestamp", "now"), ("Timestamp", "today")}
# the real-time readers of vaxdw.clock, which tests may not use unless listed in TESTS_READING_REAL_TIME
CLOCK_REAL_TIME = {("clock", "now"), ("clock", "local_now")}

ALLOWED = {
    "vaxdw/clock.py": "the project clock itself",
    "vaxdw/exchange/simulators/upload_server.py": "stands in for the national system: its own server clock",
}
TESTS_READING_REAL_TIME = {
    "tests/integration/test_operations.py": "inspection findings compare with backups stamped by the DB's now()",
    "tests/unit/test_clock.py": "tests vaxdw.clock itself",
}

SQL_DIRS = ("dbt_project/models", "dbt_project/macros")
SQL_WALL_CLOCK = re.compile(r"\b(now\s*\(\s*\)|current_date|current_timestamp|localtimestamp|clock_timestamp)",
                            re.IGNORECASE)
SQL_ALLOWED = {
    "dbt_project/macros/dates.sql": "local_today(): evaluation_date() when var evaluation_date is unset",
    "dbt_project/macros/quality_tables.sql": "created_at / detected_at column defaults (event time)",
    "dbt_project/models/marts/exchange/rpt_staff_upload.sql": "statuses_as_of: when the build read the statuses",
}


def _python_files():
    for folder in SCANNED:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if not any(part.startswith(".") or part == "__pycache__" for part in path.parts):
                yield path, path.relative_to(PROJECT_ROOT).as_posix()


def _reads(tree: ast.AST, pairs: set[tuple[str, str]], modules: dict[str, set[str]]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", None)
            if (base, node.attr) in pairs:
                found.append((node.lineno, f"{base}.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            found += [(node.lineno, f"from {node.module} import {alias.name}") for alias in node.names
                      if alias.name in modules[node.module]]
    return found


def test_no_wall_clock_reads_outside_vaxdw_clock():
    offences = []
    for path, rel in _python_files():
        if rel in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        offences += [f"{rel}:{line}: {what}" for line, what in
                     _reads(tree, WALL_CLOCK, {"time": {"localtime"}})]
        if rel.startswith("tests/") and rel not in TESTS_READING_REAL_TIME:
            offences += [f"{rel}:{line}: {what} (a test reading real time)" for line, what in
                         _reads(tree, CLOCK_REAL_TIME, {"vaxdw.clock": {"now", "local_now"}})]
    assert not offences, ("read the date from vaxdw.clock.today() (tests: tests.conftest.FROZEN_TODAY) and event "
                          "time from vaxdw.clock.now():\n" + "\n".join(offences))


def test_dbt_models_take_today_from_the_evaluation_date_var():
    offences = []
    for folder in SQL_DIRS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.sql")):
            rel = path.relative_to(PROJECT_ROOT).as_posix()
            if rel in SQL_ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SQL_WALL_CLOCK.search(line.split("--")[0]):
                    offences.append(f"{rel}:{number}: {line.strip()}")
    assert not offences, "use {{ evaluation_date() }} (dbt_project/macros/dates.sql):\n" + "\n".join(offences)


def test_the_scan_sees_what_it_forbids():
    source = "import datetime as dt\nfrom time import localtime\nx = dt.date.today()\ny = datetime.now(UTC)\n"
    found = sorted(what for _, what in _reads(ast.parse(source), WALL_CLOCK, {"time": {"localtime"}}))
    assert found == ["date.today", "datetime.now", "from time import localtime"]
    assert all((PROJECT_ROOT / rel).exists() for rel in [*ALLOWED, *TESTS_READING_REAL_TIME, *SQL_ALLOWED])
