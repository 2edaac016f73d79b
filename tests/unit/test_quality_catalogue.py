"""The rule catalogue loader: the real catalogue loads, malformed rules fail clearly, versions."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from vaxdw.quality.catalogue import CatalogueError, load_catalogue, parse_catalogue

GOOD_RULE = {
    "id": "ID_FORMAT",
    "name_zh": "身份证号格式",
    "message_zh": "身份证号格式错误",
    "table": "dim_recipients",
    "key": "recipient_id",
    "severity": "error",
    "standard": "GB 11643-1999",
    "effective_from": "2024-01-01",
    "effective_to": None,
    "repairable": {"auto": False, "how": "核对证件"},
    "check": {"expectation": {"type": "expect_column_values_to_match_regex",
                              "kwargs": {"column": "id_number", "regex": "^[0-9]{17}[0-9X]$"}}},
}
SQL_RULE = {
    **{k: v for k, v in GOOD_RULE.items() if k != "check"},
    "id": "ID_CHECK_DIGIT",
    "value": "id_number",
    "check": {"unexpected_where": "substr(id_number, 18, 1) <> dq.gb11643_check_char(id_number)"},
}


def catalogue_with(*rules, **rule_set):
    return {"rule_sets": [{"version": "1", "effective_from": "2024-01-01", "effective_to": None,
                           "rules": list(rules), **rule_set}]}


def test_project_catalogue_loads_and_covers_the_required_rules() -> None:
    catalogue = load_catalogue()
    rule_set = catalogue.effective(dt.date(2025, 6, 1))
    ids = {r.id for r in rule_set.rules}
    assert {"ID_FORMAT", "ID_CHECK_DIGIT", "ID_BIRTH_DATE", "ID_SEX", "VAX_AFTER_BIRTH",
            "ENTRY_AFTER_VAX", "UPLOAD_AFTER_ENTRY", "VAX_TIMES_NOT_FUTURE", "BIRTH_NOT_FUTURE"} <= ids
    assert rule_set.tables == {"dim_recipients": "recipient_id", "fct_vaccinations": "vaccination_id"}
    assert rule_set.rule("ID_CHECK_DIGIT").standard == "GB 11643-1999"
    assert rule_set.rule("UPLOAD_AFTER_ENTRY").severity == "warn"


def test_minimal_catalogue_parses() -> None:
    rs = parse_catalogue(catalogue_with(GOOD_RULE, SQL_RULE)).effective(dt.date(2024, 1, 1))
    fmt, digit = rs.rules
    assert fmt.kind == "expectation" and fmt.expectation_kwargs["column"] == "id_number"
    assert digit.kind == "unexpected_where" and digit.value == "id_number"
    assert fmt.repairable is False and fmt.repair_how == "核对证件"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("message_zh"), "'message_zh' is required"),
        (lambda r: r.update(severity="fatal"), "'severity' must be one of"),
        (lambda r: r.update(id="id-format"), "'id' must be UPPER_SNAKE_CASE"),
        (lambda r: r.update(effective_from="2024-13-01"), "effective_from: expected a date"),
        (lambda r: r.update(effective_to="2023-01-01"), "is before effective_from"),
        (lambda r: r.update(repairable=True), "'repairable' must be a mapping"),
        (lambda r: r.update(check={}), "exactly one of 'expectation' or 'unexpected_where'"),
        (lambda r: r.update(check={"expectation": {"type": "expect_table_row_count_to_equal", "kwargs": {}}}),
         "not a supported row-level expectation"),
        (lambda r: r.update(colour="red"), "unknown field(s) ['colour']"),
        (lambda r: r.update(table="marts.dim_recipients"), "'table' must be a lower-case SQL identifier"),
        (lambda r: r.update(value="id_number"), "'value' applies to unexpected_where checks only"),
    ],
)
def test_malformed_rule_names_the_rule_and_field(mutate, message) -> None:
    rule = copy.deepcopy(GOOD_RULE)
    mutate(rule)
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(catalogue_with(rule), source="rules.yaml")
    text = str(err.value)
    assert message in text
    assert text.startswith("rules.yaml: rule_sets[0] (version 1): rules[0]")


def test_sql_rule_needs_value_and_single_predicate() -> None:
    rule = {k: v for k, v in SQL_RULE.items() if k != "value"}
    with pytest.raises(CatalogueError, match=r"rule ID_CHECK_DIGIT\): 'value' is required"):
        parse_catalogue(catalogue_with(rule))
    rule = {**SQL_RULE, "check": {"unexpected_where": "true; drop table x"}}
    with pytest.raises(CatalogueError, match="single predicate"):
        parse_catalogue(catalogue_with(rule))


def test_duplicate_ids_and_inconsistent_keys_are_rejected() -> None:
    with pytest.raises(CatalogueError, match="duplicate rule id ID_FORMAT"):
        parse_catalogue(catalogue_with(GOOD_RULE, GOOD_RULE))
    other_key = {**SQL_RULE, "key": "id_number"}
    with pytest.raises(CatalogueError, match="differs from 'recipient_id'"):
        parse_catalogue(catalogue_with(GOOD_RULE, other_key))


def test_bad_yaml_and_bad_top_level(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rule_sets: [unclosed", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(path)
    with pytest.raises(CatalogueError, match="non-empty list 'rule_sets'"):
        parse_catalogue({"rules": []})


def two_versions() -> dict:
    old_rule = {**GOOD_RULE, "effective_to": "2024-12-31"}
    new_only = {**SQL_RULE, "effective_from": "2025-03-01"}
    return {"rule_sets": [
        {"version": "2025.1", "effective_from": "2025-01-01", "effective_to": None,
         "rules": [{**GOOD_RULE, "effective_from": "2025-01-01"}, new_only]},
        {"version": "2024.1", "effective_from": "2024-01-01", "effective_to": "2024-12-31",
         "rules": [old_rule]},
    ]}


def test_version_selection_by_date(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(two_versions(), allow_unicode=True), encoding="utf-8")
    catalogue = load_catalogue(path)
    assert [rs.version for rs in catalogue.rule_sets] == ["2024.1", "2025.1"]
    assert catalogue.effective(dt.date(2024, 1, 1)).version == "2024.1"
    assert catalogue.effective(dt.date(2024, 12, 31)).version == "2024.1"
    assert catalogue.effective(dt.date(2025, 1, 1)).version == "2025.1"
    assert catalogue.version("2024.1").effective_to == dt.date(2024, 12, 31)
    with pytest.raises(CatalogueError, match="no rule set is effective on 2023-12-31"):
        catalogue.effective(dt.date(2023, 12, 31))
    # rules inside a set have their own periods
    v2025 = catalogue.effective(dt.date(2025, 2, 1))
    assert [r.id for r in v2025.rules_on(dt.date(2025, 2, 1))] == ["ID_FORMAT"]
    assert [r.id for r in v2025.rules_on(dt.date(2025, 3, 1))] == ["ID_FORMAT", "ID_CHECK_DIGIT"]


def test_overlapping_rule_sets_are_rejected() -> None:
    data = two_versions()
    data["rule_sets"][1]["effective_to"] = "2025-01-01"
    with pytest.raises(CatalogueError, match="overlapping effective periods"):
        parse_catalogue(data)
