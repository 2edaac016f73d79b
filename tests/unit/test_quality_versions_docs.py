"""Rule sets built on earlier ones (based_on / drop / replace), pending and whole-table rules, the
required rule families in the project catalogue, and docs/quality.md generated from it (no drift)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from vaxdw.quality.catalogue import FAMILIES, CatalogueError, load_catalogue, parse_catalogue
from vaxdw.quality.checkpoint import batch_query
from vaxdw.quality.docs import render_markdown
from vaxdw.settings import PROJECT_ROOT

from .test_quality_catalogue import GOOD_RULE, SQL_RULE


def _sets(new_rules, **extra):
    return {"rule_sets": [
        {"version": "A", "effective_from": "2024-01-01", "effective_to": "2024-12-31", "rules": [GOOD_RULE, SQL_RULE]},
        {"version": "B", "effective_from": "2025-01-01", "effective_to": None, "based_on": "A",
         "rules": new_rules, **extra},
    ]}


def test_based_on_inherits_drops_and_replaces() -> None:
    stricter = {**copy.deepcopy(SQL_RULE), "severity": "warn", "effective_from": "2025-01-01"}
    added = {**copy.deepcopy(SQL_RULE), "id": "NEW_RULE", "table": "chk_recipients", "family": "duplicate"}
    catalogue = parse_catalogue(_sets([stricter, added], drop=["ID_FORMAT"]))
    a, b = catalogue.version("A"), catalogue.version("B")
    assert [r.id for r in a.rules] == ["ID_FORMAT", "ID_CHECK_DIGIT"]  # history untouched
    assert [r.id for r in b.rules] == ["ID_CHECK_DIGIT", "NEW_RULE"]
    assert b.rule("ID_CHECK_DIGIT").severity == "warn" and a.rule("ID_CHECK_DIGIT").severity == "error"
    assert b.rule("NEW_RULE").family == "duplicate"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rule_sets"][1].update(based_on="Z"), "based_on 'Z' is not a rule set listed before it"),
        (lambda d: d["rule_sets"][1].update(drop=["NOPE"]), "drop names rules not in A"),
        (lambda d: d["rule_sets"][1]["rules"][0].update(status="later"), "'status' must be one of"),
        (lambda d: d["rule_sets"][1]["rules"][0].update(scope="some"), "'scope' must be one of"),
        (lambda d: d["rule_sets"][1]["rules"][0].update(family="misc"), "'family' must be one of"),
        (lambda d: d["rule_sets"][1]["rules"][0].update(repairable={"auto": False, "action": "x"}),
         "repairable.action needs auto: true"),
    ],
)
def test_malformed_versions_fail_clearly(mutate, message) -> None:
    data = _sets([{**copy.deepcopy(SQL_RULE), "id": "NEW_RULE"}])
    mutate(data)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(data)


def test_project_catalogue_has_every_family_and_a_pending_stock_rule() -> None:
    catalogue = load_catalogue()
    current = catalogue.effective(dt.date(2026, 6, 1))
    assert current.version == "2026.1"
    assert catalogue.effective(dt.date(2025, 6, 1)).version == "2024.1"
    assert {r.family for r in current.rules} == set(FAMILIES)
    pending = current.pending_on(dt.date(2026, 6, 1))
    assert [r.id for r in pending] == ["DOSES_VS_STOCK"]
    assert "DOSES_VS_STOCK" not in {r.id for r in current.rules_on(dt.date(2026, 6, 1))}
    assert {r.repair_action for r in current.rules if r.repair_action} == {
        "sex_from_id", "dose_no_recomputed", "township_merged", "trim_names"}
    from vaxdw.repair.actions import ACTIONS

    assert {r.repair_action for r in current.rules if r.repair_action} <= set(ACTIONS)
    for rule_id in ("NEGATIVE_DROPOUT_DTAP", "OUTLIER_MONTHLY_DOSES"):
        assert current.rule(rule_id).scope == "all"


def test_stock_rule_is_activated_by_a_new_version_not_an_edit() -> None:
    """DOSES_VS_STOCK: pending in 2026.1 (history unchanged), evaluated from 2026.2 on."""
    catalogue = load_catalogue()
    old, new = catalogue.version("2026.1"), catalogue.version("2026.2")
    assert old.effective_to == new.effective_from - dt.timedelta(days=1)
    assert catalogue.effective(new.effective_from).version == "2026.2"
    assert old.rule("DOSES_VS_STOCK").status == "pending"
    stock = new.rule("DOSES_VS_STOCK")
    assert stock.status == "active" and stock in new.rules_on(new.effective_from)
    assert not new.pending_on(new.effective_from)
    assert stock.table == "chk_unit_stock_use" and stock.key == "unit_batch_id" and stock.scope == "all"
    # every other rule is inherited unchanged
    assert {r.id: r for r in old.rules if r.id != "DOSES_VS_STOCK"} == {
        r.id: r for r in new.rules if r.id != "DOSES_VS_STOCK"}


def test_batch_query_scopes() -> None:
    assert batch_query("marts", "chk_unit_dropout", "unit_period_id", [1], scope="all").endswith("AS t")
    sql = batch_query("marts", "chk_recipients", "recipient_id", [3, 4], recheck_run=9)
    assert "t._load_id IN (3, 4)" in sql and "q.run_id = 9 AND q.key_column = 'recipient_id'" in sql


def test_quality_doc_matches_the_catalogue() -> None:
    committed = (PROJECT_ROOT / "docs" / "quality.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/quality.md drifted: run `vaxdw quality-docs` and commit"
    for rule in load_catalogue().version("2026.1").rules:
        assert f"`{rule.id}`" in committed
