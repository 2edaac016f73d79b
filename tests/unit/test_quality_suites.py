"""The committed GX suites equal a fresh generation from the catalogue (no drift)."""

from __future__ import annotations

import json
from pathlib import Path

from vaxdw.quality.catalogue import load_catalogue
from vaxdw.quality.suites import generate, suites_dir, unexpected_rows_query, write_suites


def test_committed_suites_match_the_catalogue() -> None:
    expected = generate()
    base = suites_dir()
    committed = {p.relative_to(base): p.read_text(encoding="utf-8") for p in base.glob("*/*.json")}
    assert set(committed) == set(expected), "run `python -m vaxdw.quality.suites` and commit the result"
    for rel, text in expected.items():
        assert committed[rel] == text, f"{rel} drifted from rules.yaml: run `python -m vaxdw.quality.suites`"


def test_suites_map_every_rule_once() -> None:
    catalogue = load_catalogue()
    files = generate(catalogue)
    for rs in catalogue.rule_sets:
        seen = []
        for table in rs.tables:
            data = json.loads(files[Path(rs.version) / f"{table}.json"])
            assert data["name"] == f"vaxdw.marts.{table}"
            for exp in data["expectations"]:
                rule = rs.rule(exp["meta"]["rule_id"])
                assert rule.table == table
                assert exp["severity"] == {"error": "critical", "warn": "warning"}[rule.severity]
                seen.append(rule.id)
        assert sorted(seen) == sorted(r.id for r in rs.rules)


def test_unexpected_rows_query_escapes_braces() -> None:
    rule = load_catalogue().rule_sets[-1].rule("ID_CHECK_DIGIT")
    query = unexpected_rows_query(rule)
    assert "{batch}" in query and "[0-9]{{17}}" in query
    assert "[0-9]{17}" in query.format(batch="b")


def test_write_suites_removes_stale_files(tmp_path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "gone.json").write_text("{}")
    written = write_suites(base=tmp_path)
    assert not (tmp_path / "old" / "gone.json").exists()
    assert {p.relative_to(tmp_path) for p in written} == set(generate())
