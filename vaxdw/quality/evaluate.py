"""Score the anomaly output against the generator's ground truth (``sim.injected_fault``).

For every record-level rule mapped to fault types below: expected = the manifest rows of those
types whose record reached the rule's table (deleted records and register status 5 never do) and
is in the rule's scope (REQUIRED_FIELDS: the region requires the column; DUPLICATE_RECIPIENT:
a newborn record); found = the rule's rows in ``dq.current_anomaly``. Recall = found ∩ expected /
expected. Precision counts a found record as correct when it is expected, or when the record carries
another injected fault that breaks this rule too (``collateral``, e.g. a dose given before birth is
also below the minimum age); ``precision_strict`` counts only the expected ones. Values the loader
could not parse never reach the marts: they are scored as found by the quarantine
(``control.quarantine``).

The aggregate rule DOSES_VS_STOCK (接种剂次与疫苗出库核对, table chk_unit_stock_use) is scored through a
key map, once it has been evaluated (rule set 2026.2 on): a ``dose_without_stock_movement`` fault is a
dose the generator did not deduct from its clinic's stock; expected = the unit × batch keys
(``unit_id:vaccine_code:manufacturer_code:batch_no``, as the generator's stock saw the dose) of those doses
that exist in chk_unit_stock_use. Collateral: keys of doses carrying another injected fault that moves
the dose to another key or out of the warehouse (unknown vaccine code, batch number blanked — its old
number is in the manifest detail —, unparseable expiry date → quarantined, ...). A missing deduction
of a multi-dose vial can hide in the batch total behind other days' opened-vial wastage (on the small
province, seed 20240101: 5 of 367 BCG batches, each with two doses on two days and one 5-dose vial, one
day without OUT_USE); chk_unit_stock_use therefore also reconciles each day for the vaccines whose opened
vials are discarded after the session (var dq_session_discard_vaccine_codes, default BCG). The generator
records the fault only where it changes the stock record (a dose covered by a vial opened for the same
day's other doses leaves the record as a correct deduction would).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vaxdw.db import PgParams, connect

# rule id -> fault types it must find
RULE_FAULTS: dict[str, tuple[str, ...]] = {
    "ID_CHECK_DIGIT": ("bad_id_check_digit",),
    "ID_BIRTH_DATE": ("id_birth_date_mismatch",),
    "ID_SEX": ("id_sex_mismatch",),
    "ID_ADDRESS_PREFIX": ("bad_id_address",),
    "NAME_NORMALISED": ("untrimmed_name",),
    "REQUIRED_FIELDS": ("missing_hbsag",),
    "DUPLICATE_RECIPIENT": ("duplicate_recipient",),
    "STAFF_ID_UNIQUE": ("duplicate_staff_id",),
    "VAX_AFTER_BIRTH": ("dose_before_birth",),
    "NEWBORN_DOSE_NOT_BEFORE_BIRTH": ("dose_before_birth",),
    "ENTRY_AFTER_VAX": ("entry_before_vaccination",),
    "VACCINE_CODE_KNOWN": ("unknown_vaccine_code",),
    "DOSE_NO_INCREASING": ("wrong_dose_no",),
    "VACCINATION_COMPLETE": ("missing_batch_no",),
    "SITE_CODE_KNOWN": ("unknown_site_code",),
    "EXPIRY_NOT_BEFORE_VAX": ("expired_vaccine",),
}
QUARANTINE_FAULTS = {"unparseable_birth_weight": "recipient", "unparseable_expiry_date": "vaccination"}
SOURCE_OF_TABLE = {
    "dim_recipients": "recipient", "chk_recipients": "recipient",
    "fct_vaccinations": "vaccination", "chk_vaccinations": "vaccination", "chk_staff": "staff",
}  # fmt: skip
# Scope filters: SQL over the rule's table selecting the keys a fault can be expected on.
SCOPE_SQL = {
    "REQUIRED_FIELDS": "select recipient_id::text from marts.chk_recipients where is_mother_hbsag_required",
    "DUPLICATE_RECIPIENT": "select recipient_id::text from marts.chk_recipients where is_newborn_record",
}
STOCK_RULE, STOCK_FAULT, STOCK_TABLE = "DOSES_VS_STOCK", "dose_without_stock_movement", "chk_unit_stock_use"
# Source DB: per vaccination fault, the unit x batch key of the dose as the generator's stock saw it.
STOCK_KEYS_SQL = """
select f.fault_type,
    v.unit_id || ':' || v.vaccine_code || ':' || v.manufacturer_code || ':'
        || case when f.fault_type = 'missing_batch_no' then split_part(f.detail, ' ', 2) else v.batch_no end
from sim.injected_fault as f
inner join ops.vaccination as v on v.vaccination_id::text = f.row_key
where f.table_name = 'vaccination' and v.unit_id is not null and v.manufacturer_code is not null
"""
KEY_OF_TABLE = {"dim_recipients": "recipient_id", "chk_recipients": "recipient_id",
                "fct_vaccinations": "vaccination_id", "chk_vaccinations": "vaccination_id", "chk_staff": "staff_id"}


@dataclass
class RuleScore:
    rule_id: str
    fault_types: list[str]
    expected: int
    found: int
    true_positives: int
    collateral: int
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    out_of_scope: int = 0

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.expected if self.expected else None

    @property
    def precision(self) -> float | None:
        return (self.true_positives + self.collateral) / self.found if self.found else None

    @property
    def precision_strict(self) -> float | None:
        return self.true_positives / self.found if self.found else None


@dataclass
class Evaluation:
    rules: list[RuleScore]
    quarantine: dict[str, dict[str, int]]
    unscored: dict[str, int]  # rules without a fault type: anomalies found

    def as_dict(self) -> dict:
        return {
            "rules": [
                {**asdict(r), "missed": r.missed[:50], "false_positives": r.false_positives[:50],
                 "recall": r.recall, "precision": r.precision, "precision_strict": r.precision_strict}
                for r in self.rules
            ],
            "quarantine": self.quarantine,
            "unscored_rules_found": self.unscored,
        }

    def as_text(self) -> str:
        def pct(value: float | None) -> str:
            return "   -   " if value is None else f"{100 * value:6.1f}%"

        lines = [
            "数据质量规则评估 (anomalies vs sim.injected_fault)",
            f"  {'rule':<30} {'expected':>8} {'found':>6} {'TP':>6} {'collat':>6} {'recall':>7} "
            f"{'precision':>9} {'strict':>7}",
        ]
        for r in self.rules:
            lines.append(
                f"  {r.rule_id:<30} {r.expected:>8} {r.found:>6} {r.true_positives:>6} {r.collateral:>6} "
                f"{pct(r.recall)} {pct(r.precision):>9} {pct(r.precision_strict)}"
            )
        for fault, q in self.quarantine.items():
            lines.append(f"  {'QUARANTINE ' + fault:<30} {q['expected']:>8} {q['found']:>6} {q['found']:>6} "
                         f"{0:>6} {pct(q['found'] / q['expected'] if q['expected'] else None)}")
        if self.unscored:
            lines.append("  rules without an injected fault type (anomalies found): "
                         + ", ".join(f"{k}={v}" for k, v in self.unscored.items()))
        return "\n".join(lines)


def _manifest(source: PgParams) -> list[tuple[str, str, str]]:
    with connect(source) as conn:
        return conn.execute("select fault_type, table_name, row_key from sim.injected_fault").fetchall()


def evaluate(source: PgParams, warehouse: PgParams) -> Evaluation:
    manifest = _manifest(source)
    by_type: dict[str, set[str]] = {}
    faulted: dict[str, set[str]] = {}
    for fault_type, table, key in manifest:
        by_type.setdefault(fault_type, set()).add(key)
        faulted.setdefault(table, set()).add(key)
    with connect(warehouse) as conn:
        q = conn.execute
        found: dict[str, set[str]] = {}
        for rule_id, key in q("select rule_id, row_key from dq.current_anomaly"):
            found.setdefault(rule_id, set()).add(key)
        rule_tables = dict(q("select distinct on (rule_id) rule_id, table_name from dq.rule "
                             "order by rule_id, effective_from desc").fetchall())
        present: dict[str, set[str]] = {}
        for table, key in KEY_OF_TABLE.items():
            present[table] = {k for (k,) in q(f"select {key}::text from marts.{table}")}
        scopes = {rule: {k for (k,) in q(sql)} for rule, sql in SCOPE_SQL.items()}
        # Rules some check run has evaluated (a pending rule has no result).
        evaluated = {r for (r,) in q("select distinct rule_id from dq.check_result")}
        stock_keys: set[str] = set()
        if STOCK_RULE in evaluated:
            stock_keys = {k for (k,) in q(f"select unit_batch_id from marts.{STOCK_TABLE}")}
        quarantined: dict[str, set[str]] = {}
        for table, key in q("select table_name, row_key from control.quarantine"):
            quarantined.setdefault(table, set()).add(key)
    scores = []
    for rule_id, types in RULE_FAULTS.items():
        table = rule_tables.get(rule_id)
        if table is None:
            continue
        truth = set().union(*(by_type.get(t, set()) for t in types))
        in_scope = truth & present[table]
        if rule_id in scopes:
            in_scope &= scopes[rule_id]
        got = found.get(rule_id, set())
        tp = got & in_scope
        others = faulted.get(SOURCE_OF_TABLE[table], set()) - truth
        collateral = (got - in_scope) & others
        scores.append(RuleScore(
            rule_id=rule_id, fault_types=list(types), expected=len(in_scope), found=len(got),
            true_positives=len(tp), collateral=len(collateral), missed=sorted(in_scope - got),
            false_positives=sorted(got - in_scope - collateral), out_of_scope=len(truth - in_scope),
        ))
    quarantine = {
        fault: {"expected": len(by_type.get(fault, set())),
                "found": len(by_type.get(fault, set()) & quarantined.get(table, set()))}
        for fault, table in QUARANTINE_FAULTS.items()
    }
    if STOCK_RULE in evaluated:
        scores.append(_score_stock(source, stock_keys, found.get(STOCK_RULE, set())))
    scored = {s.rule_id for s in scores}
    unscored = {rule: len(keys) for rule, keys in sorted(found.items()) if rule not in scored}
    return Evaluation(scores, quarantine, unscored)


def _score_stock(source: PgParams, present: set[str], got: set[str]) -> RuleScore:
    """DOSES_VS_STOCK against dose_without_stock_movement faults, keyed by unit x batch (see module doc)."""
    with connect(source) as conn:
        keyed = conn.execute(STOCK_KEYS_SQL).fetchall()
    truth = {key for fault_type, key in keyed if fault_type == STOCK_FAULT and key}
    others = {key for fault_type, key in keyed if fault_type != STOCK_FAULT and key} - truth
    in_scope = truth & present
    tp = got & in_scope
    collateral = (got - in_scope) & others
    return RuleScore(
        rule_id=STOCK_RULE, fault_types=[STOCK_FAULT], expected=len(in_scope), found=len(got),
        true_positives=len(tp), collateral=len(collateral), missed=sorted(in_scope - got),
        false_positives=sorted(got - in_scope - collateral), out_of_scope=len(truth - in_scope),
    )


def write(evaluation: Evaluation, *paths: Path) -> list[Path]:
    text = json.dumps(evaluation.as_dict(), ensure_ascii=False, indent=2) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(paths)
