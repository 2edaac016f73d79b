"""Generate the GX ExpectationSuites (one per mart table) from the rule catalogue.

``write_suites()`` writes ``expectations/suites/<version>/<table>.json`` for every rule set
version; those files are committed, and ``tests/unit/test_quality_suites.py`` fails when they
differ from a fresh generation (so the JSON never drifts from ``rules.yaml``).

Each expectation carries ``meta.rule_id`` so results map back to catalogue rules. A native
rule becomes its GX expectation as written; an ``unexpected_where`` rule becomes an
``UnexpectedRowsCountExpectation`` (GX's ``UnexpectedRowsExpectation`` without its second, row-fetching
query: :mod:`vaxdw.quality.gx_count_expectation`) over the batch (``{batch}``) that selects
``dq_row_key`` (the table's key, added by the batch query, see :mod:`vaxdw.quality.checkpoint`) and
``dq_value``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaxdw.quality.catalogue import Catalogue, Rule, RuleSet, load_catalogue
from vaxdw.settings import get_settings

ROW_KEY = "dq_row_key"
VALUE = "dq_value"
GX_SEVERITY = {"error": "critical", "warn": "warning"}
# vaxdw.quality.gx_count_expectation.UnexpectedRowsCountExpectation (registered when that module is imported)
COUNT_EXPECTATION = "unexpected_rows_count_expectation"


def suite_name(table: str) -> str:
    return f"vaxdw.marts.{table}"


def suites_dir() -> Path:
    return get_settings().expectations_dir / "suites"


def suite_path(version: str, table: str, base: Path | None = None) -> Path:
    return (base or suites_dir()) / version / f"{table}.json"


def unexpected_rows_query(rule: Rule) -> str:
    """The UnexpectedRowsExpectation query of an ``unexpected_where`` rule.

    GX fills ``{batch}`` with ``str.format``, so literal braces in the SQL (regex quantifiers
    such as ``{17}``) are doubled here.
    """
    assert rule.unexpected_where and rule.value

    def esc(sql: str) -> str:
        return sql.replace("{", "{{").replace("}", "}}")

    return (
        f"SELECT {ROW_KEY}, ({esc(rule.value)})::text AS {VALUE}\n"
        "FROM {batch}\n"
        f"WHERE {esc(rule.unexpected_where)}"
    )


def _expectation(rule_set: RuleSet, r: Rule) -> dict[str, Any]:
    if r.expectation_type:
        type_, kwargs = r.expectation_type, dict(r.expectation_kwargs or {})
    else:
        type_, kwargs = COUNT_EXPECTATION, {"unexpected_rows_query": unexpected_rows_query(r)}
    return {
        "type": type_,
        "kwargs": kwargs,
        "severity": GX_SEVERITY[r.severity],
        "description": f"{r.id} {r.name_zh}",
        "meta": {
            "rule_id": r.id,
            "rule_set_version": rule_set.version,
            "severity": r.severity,
            "standard": r.standard,
            "effective_from": r.effective_from.isoformat(),
            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
        },
    }


def build_suites(rule_set: RuleSet) -> dict[str, dict[str, Any]]:
    """table -> suite JSON dict (GX 1.x ExpectationSuite format, without random ids)."""
    import great_expectations as gx

    import vaxdw.quality.gx_count_expectation  # noqa: F401 - registers COUNT_EXPECTATION with GX

    out: dict[str, dict[str, Any]] = {}
    for table, key in rule_set.tables.items():
        expectations = [_expectation(rule_set, r) for r in rule_set.rules if r.table == table]
        # Round-trip through GX: validates types and kwargs, and yields GX's own JSON layout.
        suite = gx.ExpectationSuite(
            name=suite_name(table),
            expectations=expectations,
            meta={
                "rule_set_version": rule_set.version,
                "table": table,
                "key": key,
                "generated_from": "expectations/rules.yaml by vaxdw.quality.suites.write_suites()",
            },
        )
        data = suite.to_json_dict()
        data.pop("id", None)
        for exp in data["expectations"]:
            exp.pop("id", None)
        out[table] = data
    return out


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def generate(catalogue: Catalogue | None = None) -> dict[Path, str]:
    """Relative path (``<version>/<table>.json``) -> file text, for every rule set."""
    catalogue = catalogue or load_catalogue()
    files: dict[Path, str] = {}
    for rule_set in catalogue.rule_sets:
        for table, data in build_suites(rule_set).items():
            files[Path(rule_set.version) / f"{table}.json"] = render(data)
    return files


def write_suites(catalogue: Catalogue | None = None, base: Path | None = None) -> list[Path]:
    """Regenerate ``expectations/suites/`` from the catalogue; return the files written."""
    base = base or suites_dir()
    files = generate(catalogue)
    for stale in base.glob("*/*.json"):
        if stale.relative_to(base) not in files:
            stale.unlink()
    written = []
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def load_suite(version: str, table: str, base: Path | None = None) -> dict[str, Any]:
    path = suite_path(version, table, base)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `python -m vaxdw.quality.suites` to generate the suites"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    for path in write_suites():
        print(path)


if __name__ == "__main__":
    main()
