"""Render ``docs/quality.md`` (数据质量规则目录) from the rule catalogue itself.

``python -m vaxdw.quality.docs`` or ``vaxdw quality-docs`` rewrites it; a unit test fails when the
committed file differs from a fresh rendering.
"""

from __future__ import annotations

from vaxdw.quality.catalogue import FAMILIES, Catalogue, Rule, load_catalogue
from vaxdw.settings import PROJECT_ROOT

SEVERITY_ZH = {"error": "错误（阻断上传）", "warn": "警告"}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _check(rule: Rule) -> str:
    if rule.expectation_type:
        kwargs = ", ".join(f"{k}={v}" for k, v in (rule.expectation_kwargs or {}).items())
        return f"`{rule.expectation_type}({kwargs})`"
    return f"`{_cell(rule.unexpected_where or '')}`"


def render_markdown(catalogue: Catalogue | None = None) -> str:
    catalogue = catalogue or load_catalogue()
    lines = [
        "# 数据质量规则目录 (data-quality rule catalogue)",
        "",
        "Generated from `expectations/rules.yaml` by `vaxdw quality-docs` (`python -m vaxdw.quality.docs`);",
        "do not edit by hand. The Great Expectations suites under `expectations/suites/<version>/` are generated",
        "from the same catalogue. After every load the checkpoint validates the new batch (aggregate rules: the",
        "whole table) with the rule set in force on the run date; results land in `dq.*`, the current state in",
        "`dq.current_anomaly`, the report in `marts.rpt_dq_anomaly` (异常数据报表, `vaxdw anomalies`), the",
        "upload gate in `marts.rpt_dq_upload_blocked` (severity 错误 blocks the national upload). Rules with a",
        "repair action can be repaired in bulk (`vaxdw repair preview|apply|undo --rule ... --user ...`) into",
        "the curated correction layer `curated.correction`; raw data is never edited.",
        "",
        "Configuration (dbt vars in `dbt_project/dbt_project.yml`, seed `ref_dq_required_field`):",
        "required fields per region (most specific region of the managing unit wins), newborn age limit of the",
        "duplicate check (`dq_newborn_max_age_months`, default 12, UNCONFIRMED), DTaP categories of the dropout",
        "check, modified z-score threshold (3.5) and minimum months (6) of the outlier check, the vaccines",
        "reconciled per session by DOSES_VS_STOCK (`dq_session_discard_vaccine_codes`, default BCG `0101`: opened",
        "vials discarded after the session, WHO multi-dose vial policy; bOPV UNCONFIRMED).",
        "",
        "Versions: a rule set is never edited once in force; a new national standard, or activating a rule",
        "declared pending (待启用, e.g. DOSES_VS_STOCK until the stock marts existed), is a new rule set based",
        "on the previous one, and the previous set is closed the day before. Validating a date in an earlier",
        "period reproduces that period's results.",
        "",
        "How a check run records failures: GX (result format BASIC) counts the failing rows of every rule and",
        "decides pass/fail; the failing rows are then written by the database, not fetched into Python:",
        "native expectations through the query GX returns for their failing rows (`unexpected_index_query`),",
        "SQL-predicate rules in one scan per table with the catalogue predicate the suite was generated from.",
        "A rule whose written rows differ from GX's count is an error. One statement per table inserts the",
        "failing rows into `dq.failed_row` (run, rule, table, key, value, message) and, from that insert,",
        "brings `dq.current_anomaly` (the latest verdict per record and rule) up to date: new anomalies added,",
        "changed values updated, anomalies of checked records not found again dropped, and so are those of",
        "records no longer in the checked table (a deleted dose, the doses of a deleted recipient), which no",
        "later batch holds. An anomaly found again keeps the run and time that first found it (`run_id`,",
        "`detected_at` = 发现时间); every run's own failing rows stay in `dq.failed_row`.",
        "",
        "## 检查成本 (validation cost)",
        "",
        "`bench/quality_checkpoint.py --rows 1000000 --repeat 3` (results in `bench/results/quality_checkpoint.json`,",
        "`--fault-rate 0.001` in `quality_checkpoint_fault_0.001.json`) times, in the same run, the whole",
        "checkpoint, GX validation alone, plain SQL counts (one `count(*)` per rule) and plain SQL that writes",
        "the same failing rows (one `insert ... select` per rule into a copy of `dq.failed_row`). Measured",
        "2026-11-27 on the shared 2-core VM (medians; 1.1M batch rows, 31 rules):",
        "",
        "| data | failing rows | checkpoint | GX alone | plain counts | plain writes | checkpoint / counts |"
        " GX / counts | checkpoint / writes |",
        "|---|---|---|---|---|---|---|---|---|",
        "| default (≈1 % per rule; ID check digit 90 %) | 374,690 | 6.35 s | 2.47 s | 1.79 s | 3.24 s | 3.55 | 1.38 |"
        " 1.96 |",
        "| `--fault-rate 0.001` | 30,305 | 3.85 s | 2.45 s | 1.70 s | 2.07 s | 2.26 | 1.44 | 1.85 |",
        "",
        "Before this work the same bench gave checkpoint / counts 8.6 (44.2 s vs 5.1 s, a loaded machine) and",
        "6.3 (20.7 s vs 3.3 s): GX 6.8 s, writing `dq.failed_row` 7.0 s, updating `dq.current_anomaly` 7.4 s.",
        "What changed: the SQL-predicate rules run as `UnexpectedRowsCountExpectation` (GX's",
        "`UnexpectedRowsExpectation` without its second query, which re-ran every rule to send all failing",
        "rows to the client for a sample BASIC never shows); `dq.gb11643_check_char` is an inlinable",
        "expression; failing rows and current anomalies are written by one statement per table (the second",
        "table fed by the first one's RETURNING; no re-read, no delete-and-reinsert of unchanged anomalies);",
        "the row-by-row foreign key of `dq.failed_row` became a statement-level check and its unused",
        "(table, key) index was dropped.",
        "",
        "Which ratios meet 2×: GX alone / plain counts (1.4) and the whole checkpoint / plain SQL writing the",
        "same rows (1.9–2.0). The whole checkpoint / plain counts does not, and cannot at these fault rates:",
        "recording every failing row is work the counts do not do — plain SQL alone needs 1.8× the counts to",
        "write the 374,690 rows — and the checkpoint also keeps `dq.current_anomaly`. What remains of GX's own",
        "overhead (≈1.4× the counts) is its query plan: each column-pair expectation costs two scans (the",
        "unexpected count and the non-null row count) and the table row count one more.",
        "",
        "## 规则集版本 (rule set versions)",
        "",
        "| 版本 | 生效日期 | 失效日期 | 基于 | 规则数 | 说明 |",
        "|---|---|---|---|---|---|",
    ]
    for rs in catalogue.rule_sets:
        lines.append(
            f"| {rs.version} | {rs.effective_from} | {rs.effective_to or '—'} | "
            f"{_base(rs, catalogue)} | {len(rs.rules)} | {_cell(rs.description)} |"
        )
    for rs in reversed(catalogue.rule_sets):
        lines += ["", f"## 规则集 {rs.version}", ""]
        for family, family_zh in FAMILIES.items():
            rules = [r for r in rs.rules if r.family == family]
            if not rules:
                continue
            lines += [
                f"### {family_zh} ({family})",
                "",
                "| 规则 | 名称 | 表 | 严重程度 | 依据 | 生效 | 状态 | 修复 | 检查 | 提示信息 |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for r in rules:
                status = "待启用（未评估）" if r.status == "pending" else "启用"
                scope = "（全表）" if r.scope == "all" else ""
                repair = (f"批量修复 `{r.repair_action}`：" if r.repair_action else "") + _cell(r.repair_how)
                period = f"{r.effective_from}–{r.effective_to or ''}"
                lines.append(
                    f"| `{r.id}` | {_cell(r.name_zh)} | `{r.table}`{scope} | {SEVERITY_ZH[r.severity]} | "
                    f"{_cell(r.standard)} | {period} | {status} | {repair} | {_check(r)} | {_cell(r.message_zh)} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _base(rule_set, catalogue: Catalogue) -> str:
    earlier = [rs for rs in catalogue.rule_sets if rs.effective_from < rule_set.effective_from]
    ids = {r.id for r in rule_set.rules}
    for rs in reversed(earlier):
        if {r.id for r in rs.rules} <= ids:
            return rs.version
    return "—"


def main() -> None:
    path = PROJECT_ROOT / "docs" / "quality.md"
    path.write_text(render_markdown(), encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
