"""The data-quality rule catalogue (``expectations/rules.yaml``): load, validate, pick a version.

The catalogue is the single source of the checks; GX suites are generated from it
(:mod:`vaxdw.quality.suites`). Loading validates every rule and raises :class:`CatalogueError`
naming the rule set, the rule and the field at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vaxdw import clock
from vaxdw.settings import get_settings

SEVERITIES = ("error", "warn")
STATUSES = ("active", "pending")  # pending: declared, not evaluated (its data does not exist yet)
SCOPES = ("batch", "all")  # batch: the rows of the new loads; all: the whole table (aggregate checks)
FAMILIES = {
    "id": "身份证号", "date": "时间与日期", "schedule": "免疫程序", "code": "编码", "required": "必填项",
    "duplicate": "重复档案", "completeness": "完整性", "aggregate": "汇总（WHO数据质量评估）",
    "format": "规范化",
}
# Native checks must be row-level (map) expectations: only those report the failing rows' keys.
NATIVE_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_value_lengths_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
    }
)
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]*$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_RULE_FIELDS = {
    "id", "name_zh", "message_zh", "table", "key", "severity", "standard", "effective_from",
    "effective_to", "repairable", "value", "check", "family", "status", "scope",
}  # fmt: skip


class CatalogueError(ValueError):
    """The catalogue is malformed; the message says where."""


@dataclass(frozen=True)
class Rule:
    id: str
    name_zh: str
    message_zh: str
    table: str
    key: str
    severity: str
    standard: str
    effective_from: dt.date
    effective_to: dt.date | None
    repairable: bool
    repair_how: str
    # exactly one of (expectation_type + expectation_kwargs) or unexpected_where
    expectation_type: str | None = None
    expectation_kwargs: dict[str, Any] | None = None
    unexpected_where: str | None = None
    value: str | None = None
    family: str = "id"
    status: str = "active"
    scope: str = "batch"
    repair_action: str | None = None  # name of a bulk-repair action (vaxdw.repair.actions)

    @property
    def kind(self) -> str:
        return "expectation" if self.expectation_type else "unexpected_where"

    def effective_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def check_definition(self) -> dict[str, Any]:
        if self.expectation_type:
            return {"expectation": {"type": self.expectation_type, "kwargs": self.expectation_kwargs}}
        return {"unexpected_where": self.unexpected_where, "value": self.value}


@dataclass(frozen=True)
class RuleSet:
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    description: str
    rules: tuple[Rule, ...]

    def effective_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def rules_on(self, day: dt.date) -> tuple[Rule, ...]:
        """Rules in force on ``day`` that are evaluated (pending rules are declared only)."""
        return tuple(r for r in self.rules if r.effective_on(day) and r.status == "active")

    def pending_on(self, day: dt.date) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.effective_on(day) and r.status == "pending")

    @property
    def tables(self) -> dict[str, str]:
        """table -> key column, in catalogue order."""
        out: dict[str, str] = {}
        for rule in self.rules:
            out.setdefault(rule.table, rule.key)
        return out

    def scope_of(self, table: str) -> str:
        return next(r.scope for r in self.rules if r.table == table)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True)
class Catalogue:
    rule_sets: tuple[RuleSet, ...]

    def effective(self, day: dt.date | None = None) -> RuleSet:
        """The rule set in force on ``day`` (default: the evaluation date, vaxdw.clock.today)."""
        day = day or clock.today()
        matches = [rs for rs in self.rule_sets if rs.effective_on(day)]
        if not matches:
            raise CatalogueError(f"no rule set is effective on {day.isoformat()}")
        return matches[0]  # periods do not overlap (checked on load)

    def version(self, version: str) -> RuleSet:
        for rs in self.rule_sets:
            if rs.version == version:
                return rs
        raise CatalogueError(f"no rule set with version {version!r}")


def default_path() -> Path:
    return get_settings().expectations_dir / "rules.yaml"


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    path = Path(path) if path else default_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from exc
    return parse_catalogue(data, source=str(path))


def parse_catalogue(data: Any, source: str = "<catalogue>") -> Catalogue:
    if not isinstance(data, dict) or not isinstance(data.get("rule_sets"), list) or not data["rule_sets"]:
        raise CatalogueError(f"{source}: expected a mapping with a non-empty list 'rule_sets'")
    sets: list[RuleSet] = []
    for i, raw in enumerate(data["rule_sets"]):
        sets.append(_parse_rule_set(raw, f"{source}: rule_sets[{i}]", {rs.version: rs for rs in sets}))
    versions = [rs.version for rs in sets]
    if len(set(versions)) != len(versions):
        raise CatalogueError(f"{source}: duplicate rule set versions {versions}")
    ordered = sorted(sets, key=lambda rs: rs.effective_from)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.effective_to is None or a.effective_to >= b.effective_from:
            raise CatalogueError(
                f"{source}: rule sets {a.version!r} and {b.version!r} have overlapping effective periods"
            )
    return Catalogue(tuple(ordered))


def _date(value: Any, where: str, optional: bool = False) -> dt.date | None:
    if value is None and optional:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CatalogueError(f"{where}: expected a date YYYY-MM-DD{' or null' if optional else ''}, got {value!r}")


def _text(raw: dict, field: str, where: str) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: '{field}' is required and must be non-empty text")
    return value.strip()


def _parse_rule_set(raw: Any, where: str, earlier: dict[str, RuleSet] | None = None) -> RuleSet:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a mapping")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise CatalogueError(f"{where}: 'version' is required and must be a quoted string")
    where = f"{where} (version {version})"
    start = _date(raw.get("effective_from"), f"{where}: effective_from")
    end = _date(raw.get("effective_to"), f"{where}: effective_to", optional=True)
    if end is not None and end < start:
        raise CatalogueError(f"{where}: effective_to {end} is before effective_from {start}")
    rules_raw = raw.get("rules") or []
    base_version = raw.get("based_on")
    if not isinstance(rules_raw, list) or (not rules_raw and not base_version):
        raise CatalogueError(f"{where}: 'rules' must be a non-empty list")
    own = [_parse_rule(r, f"{where}: rules[{i}]") for i, r in enumerate(rules_raw)]
    rules: tuple[Rule, ...]
    if base_version:
        # A new national standard is a new version: it starts from an earlier set (listed before
        # it), drops rules by id, and adds or replaces rules; the earlier set is not edited.
        base = (earlier or {}).get(str(base_version))
        if base is None:
            raise CatalogueError(f"{where}: based_on {base_version!r} is not a rule set listed before it")
        drop = set(raw.get("drop") or [])
        unknown = drop - {r.id for r in base.rules}
        if unknown:
            raise CatalogueError(f"{where}: drop names rules not in {base_version}: {sorted(unknown)}")
        replaced = {r.id: r for r in own}
        inherited = [replaced.pop(r.id, r) for r in base.rules if r.id not in drop]
        rules = tuple(inherited + list(replaced.values()))
    else:
        if raw.get("drop"):
            raise CatalogueError(f"{where}: 'drop' needs 'based_on'")
        rules = tuple(own)
    seen: set[str] = set()
    keys: dict[str, str] = {}
    scopes: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise CatalogueError(f"{where}: duplicate rule id {rule.id}")
        seen.add(rule.id)
        # One key per table: the batch exposes it as dq_row_key for every rule of that table.
        if keys.setdefault(rule.table, rule.key) != rule.key:
            raise CatalogueError(
                f"{where}: rule {rule.id}: key {rule.key!r} differs from {keys[rule.table]!r} used by "
                f"other rules on table {rule.table}"
            )
        if scopes.setdefault(rule.table, rule.scope) != rule.scope:
            raise CatalogueError(f"{where}: rule {rule.id}: all rules on table {rule.table} need the same scope")
    return RuleSet(version, start, end, str(raw.get("description") or ""), rules)


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise CatalogueError(f"{where}: 'id' must be UPPER_SNAKE_CASE text, got {rule_id!r}")
    where = f"{where} (rule {rule_id})"
    unknown = set(raw) - _RULE_FIELDS
    if unknown:
        raise CatalogueError(f"{where}: unknown field(s) {sorted(unknown)}")
    table, key = _text(raw, "table", where), _text(raw, "key", where)
    for field, value in (("table", table), ("key", key)):
        if not _IDENT.match(value):
            raise CatalogueError(f"{where}: '{field}' must be a lower-case SQL identifier, got {value!r}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise CatalogueError(f"{where}: 'severity' must be one of {SEVERITIES}, got {severity!r}")
    start = _date(raw.get("effective_from"), f"{where}: effective_from")
    end = _date(raw.get("effective_to"), f"{where}: effective_to", optional=True)
    if end is not None and end < start:
        raise CatalogueError(f"{where}: effective_to {end} is before effective_from {start}")
    repairable = raw.get("repairable")
    if not isinstance(repairable, dict) or not isinstance(repairable.get("auto"), bool):
        raise CatalogueError(f"{where}: 'repairable' must be a mapping {{auto: true|false, how: text}}")
    action = repairable.get("action")
    if action is not None and (not repairable["auto"] or not isinstance(action, str)):
        raise CatalogueError(f"{where}: repairable.action needs auto: true and a repair action name")
    family = raw.get("family", "id")
    if family not in FAMILIES:
        raise CatalogueError(f"{where}: 'family' must be one of {sorted(FAMILIES)}, got {family!r}")
    status = raw.get("status", "active")
    if status not in STATUSES:
        raise CatalogueError(f"{where}: 'status' must be one of {STATUSES}, got {status!r}")
    scope = raw.get("scope", "batch")
    if scope not in SCOPES:
        raise CatalogueError(f"{where}: 'scope' must be one of {SCOPES}, got {scope!r}")
    check = raw.get("check")
    if not isinstance(check, dict) or len(check) != 1 or next(iter(check)) not in (
        "expectation",
        "unexpected_where",
    ):
        raise CatalogueError(f"{where}: 'check' must have exactly one of 'expectation' or 'unexpected_where'")
    common = dict(
        id=rule_id,
        name_zh=_text(raw, "name_zh", where),
        message_zh=_text(raw, "message_zh", where),
        table=table,
        key=key,
        severity=severity,
        standard=_text(raw, "standard", where),
        effective_from=start,
        effective_to=end,
        repairable=repairable["auto"],
        repair_how=str(repairable.get("how") or ""),
        family=family,
        status=status,
        scope=scope,
        repair_action=action,
    )
    if "expectation" in check:
        exp = check["expectation"]
        if not isinstance(exp, dict) or not isinstance(exp.get("kwargs"), dict):
            raise CatalogueError(f"{where}: check.expectation must be {{type: ..., kwargs: {{...}}}}")
        if exp.get("type") not in NATIVE_EXPECTATIONS:
            raise CatalogueError(
                f"{where}: check.expectation.type {exp.get('type')!r} is not a supported row-level "
                f"expectation (one of {sorted(NATIVE_EXPECTATIONS)})"
            )
        if "value" in raw:
            raise CatalogueError(f"{where}: 'value' applies to unexpected_where checks only")
        return Rule(**common, expectation_type=exp["type"], expectation_kwargs=dict(exp["kwargs"]))
    predicate = check["unexpected_where"]
    if not isinstance(predicate, str) or not predicate.strip():
        raise CatalogueError(f"{where}: check.unexpected_where must be a non-empty SQL predicate")
    if ";" in predicate:
        raise CatalogueError(f"{where}: check.unexpected_where must be a single predicate (no ';')")
    return Rule(**common, unexpected_where=predicate.strip(), value=_text(raw, "value", where))
