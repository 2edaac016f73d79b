"""Benchmark: one GX checkpoint (``run_checks``) on a 1M-row batch against the same rules written as
plain SQL, in the same run.

    .venv/bin/python -m bench.quality_checkpoint --rows 1000000 --repeat 3 [--fault-rate 0.001]

Builds the check tables of rule set 2026.1 synthetically in a benchmark database on the embedded
PostgreSQL (``generate_series``): ``fct_vaccinations`` and ``chk_vaccinations`` with ``--rows`` doses of
one load, ``dim_recipients`` and ``chk_recipients`` with ``--rows / 10`` recipients, and the small staff
and aggregate tables. Default data (kept as it was, so results stay comparable): about 1 % of the rows
break each rule (by id modulo), except ID_CHECK_DIGIT (≈ 90 % of the recipients: the IDs carry no
computed check digit) and ID_SEX (≈ 49 %); 374,690 failing rows at 1M. ``--fault-rate R``: every
record-level rule breaks on about R of the rows (valid check digits and sexes otherwise), e.g. 0.001.

Then, ``--repeat`` times (the first repetition checks a new batch, the later ones re-check it, so their
verdicts replace the earlier ones in dq.current_anomaly):
- the checkpoint: ``run_checks`` on that load (GX validation of every active rule, all failing rows
  into dq.failed_row, dq.current_anomaly updated; Data Docs off);
- plain SQL counts: for every rule, ``select count(*)`` of the failing rows of the same batch (native
  GX expectations translated to their SQL predicate);
- plain SQL writes: for every rule, ``insert into plain.failed_row ... select`` of the same failing
  rows (run, rule, table, key, value, message; plain.failed_row has dq.failed_row's columns and
  indexes), checked equal to the checkpoint's rows.
Ratios (medians over the repetitions, all measured in the same run):
- ``ratio``: whole checkpoint / plain SQL counts (the issue's original comparison);
- ``ratio_gx_validation``: GX alone (context and suites set-up + checkpoint run, phases ``gx_setup`` +
  ``gx_checkpoint``) / plain SQL counts: the like-for-like cost of deciding pass/fail and counting;
- ``ratio_with_writes``: whole checkpoint / plain SQL writes: the like-for-like cost of recording every
  failing row (the checkpoint also maintains dq.current_anomaly, which plain SQL does not).
Writes bench/results/quality_checkpoint.json (``quality_checkpoint_fault_<R>.json`` with
``--fault-rate``) and appends to bench/results/history.jsonl. Goal: ratio ≤ 2.

``import great_expectations`` is timed once before the first checkpoint (``gx_import_seconds``, a
once-per-process cost); the checkpoint seconds exclude it, ``ratio_with_gx_import`` includes it.
``phase_seconds`` is the median wall time of each phase of ``run_checks`` (CheckRunResult.seconds):
GX context/suite set-up, the GX checkpoint run, the batch row counts, and writing the failing rows
to dq.failed_row while bringing dq.current_anomaly up to date (``failed_rows``, one statement per
table: added, changed and no-longer-found anomalies in the same statement).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from dataclasses import replace
from datetime import datetime

import psycopg

from vaxdw.db import connect, start_embedded
from vaxdw.quality.catalogue import Rule, load_catalogue
from vaxdw.quality.checkpoint import batch_query, run_checks
from vaxdw.quality.schema import ensure_schema
from vaxdw.settings import PROJECT_ROOT, get_settings

RESULTS = PROJECT_ROOT / "bench" / "results"
ON = dt.date(2026, 6, 1)
LOAD_ID = 1

# Rule faults by id modulo: g % {mN} = k breaks a rule on about 1/N of the rows (N as written by default;
# N / (100 × fault rate) with --fault-rate, see fault_moduli). Small moduli (< 40) shape the data only.
TABLES_SQL = """
drop schema if exists marts cascade; drop schema if exists dq cascade; drop schema if exists curated cascade;
create schema marts;
create table marts.dim_recipients as
select g as recipient_id,
    case when g % {m97} = 1 then '61010220230301' else '610102' || to_char(date '2020-01-01' + (g % 2000), 'YYYYMMDD')
        || lpad((g % 999)::text, 3, '0') || '0' end as id_number,
    case when g % {m89} = 3 then '3' when g % 2 = 0 then '1' else '2' end as sex,
    (date '2020-01-01' + (g % 2000))::timestamp + interval '8 hours' as birth_at,
    date '2020-01-01' + (g % 2000) as birth_date,
    case when g % {m83} = 5 then null else 'in_register' end as register_group,
    case when g % {m83} = 5 then 99 else 1 end as register_status,
    1::bigint as _load_id
from generate_series(1, %(recipients)s) as g;
create table marts.chk_recipients as
select g as recipient_id, '610102' || lpad(g::text, 12, '0') as id_number,
    g % {m97} <> 7 as is_id_prefix_valid,
    '610102001' as residence_township_code, case when g % {m89} = 1 then '610102002' end as residence_township_code_current,
    '610102001' as household_township_code, null::text as household_township_code_current,
    g % {m89} = 1 as has_historical_township_code,
    '受种者' || g as recipient_name, '母亲' || g as mother_name, g % {m79} = 2 as has_untrimmed_name,
    case when g % {m73} = 4 then 'mother_hbsag' end as missing_required_columns,
    case when g % {m71} = 6 then g - 1 end as duplicate_of_recipient_id, 'id_number' as duplicate_match,
    true as is_newborn_record, 1::bigint as _load_id
from generate_series(1, %(recipients)s) as g;
create table marts.fct_vaccinations as
select g as vaccination_id,
    timestamp '2024-01-01 09:00' + (g % 600) * interval '1 day' as vaccinated_at,
    case when g % {m97} = 1 then timestamp '2030-01-01' else timestamp '2023-06-01 08:00' end as birth_at,
    timestamp '2024-01-01 09:00' + (g % 600) * interval '1 day'
        + case when g % {m89} = 2 then interval '-1 hour' else interval '10 minutes' end as entered_at,
    timestamp '2024-01-01 09:00' + (g % 600) * interval '1 day'
        + case when g % {m83} = 3 then interval '-2 hours' else interval '3 hours' end as uploaded_at,
    case when g % {m79} = 4 then date '2023-01-01' else date '2027-01-01' end as expiry_date,
    (date '2024-01-01' + (g % 600)) as vaccination_date,
    1::bigint as _load_id
from generate_series(1, %(rows)s) as g;
create table marts.chk_vaccinations as
select g as vaccination_id, '0' || (1 + g % 9)::text || '01' as vaccine_code, (1 + g % 3)::smallint as dose_no,
    (g % 3)::smallint as previous_dose_no, (1 + g % 3)::bigint as recomputed_dose_no, (g % 900)::int as age_days,
    timestamp '2024-01-01 09:00' as vaccinated_at, timestamp '2023-06-01 08:00' as birth_at,
    case when g % {m97} = 1 then false else true end as is_min_age_valid,
    case when g % {m89} = 1 then false else true end as is_min_interval_valid,
    g % {m83} = 1 as is_dose_no_not_increasing, g % {m79} = 1 as is_newborn_dose_before_birth,
    g % {m73} <> 1 as is_vaccine_code_known, g % {m71} <> 1 as is_manufacturer_known, 'M01' as manufacturer_code,
    g % {m67} <> 1 as is_site_known, '1' as site_code, g % {m61} <> 1 as is_route_known, '2' as route_code,
    g % {m59} <> 1 as is_vacc_property_known, '0' as vacc_property, g % {m53} <> 1 as is_vaccinator_known,
    g::bigint as vaccinator_id, case when g % {m47} = 1 then 'batch_no' end as missing_columns,
    1::bigint as _load_id
from generate_series(1, %(rows)s) as g;
create table marts.chk_staff as
select g as staff_id, '610102198001010' || lpad((g % 1000)::text, 3, '0') as id_number,
    case when g % {m97} = 1 then g - 1 end as duplicate_of_staff_id, 1::bigint as _load_id
from generate_series(1, 7000) as g;
create table marts.chk_unit_dropout as
select 'U' || g || ':2025' as unit_period_id, 100 + g % 50 as dtap1_doses, 100 + g % 53 as dtap3_doses,
    0.0 as dropout_rate_pct
from generate_series(1, 1500) as g;
create table marts.chk_unit_month_doses as
select 'U' || g || ':2025-01' as unit_month_id, 100 as doses, 90.0 as median_doses, (g % 7)::numeric as modified_z_score,
    true as is_evaluable
from generate_series(1, 15000) as g;
analyze;
"""


# With --fault-rate: IDs with a valid GB 11643 check character and a sex matching the ID's 17th digit,
# except on the fault rows of ID_CHECK_DIGIT (g % {m61} = 2) and ID_SEX (g % {m59} = 4).
VALID_IDS_SQL = """
update marts.dim_recipients set
    id_number = left(id_number, 17) || case
        when recipient_id % {m61} <> 2 then dq.gb11643_check_char(id_number)
        when dq.gb11643_check_char(id_number) = '0' then '1' else '0' end,
    sex = case when sex = '3' then sex
        when (strpos('13579', substr(id_number, 17, 1)) > 0) <> (recipient_id % {m59} = 4) then '1' else '2' end
where length(id_number) = 18;
analyze marts.dim_recipients;
"""


def fault_moduli(fault_rate: float | None) -> dict[str, int]:
    """The {mN} moduli of TABLES_SQL: N by default, else N / (100 × fault_rate) (rate ≈ fault_rate per rule)."""
    scale = 1.0 if fault_rate is None else 0.01 / fault_rate
    return {f"m{n}": max(8, round(n * scale)) for n in (47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)}


def build_tables(warehouse, rows: int, fault_rate: float | None) -> None:
    moduli = fault_moduli(fault_rate)
    sql = TABLES_SQL.format(**moduli).replace("%(rows)s", str(int(rows))).replace("%(recipients)s", str(int(rows) // 10))
    with connect(warehouse) as conn:
        conn.execute(sql)
        ensure_schema(conn)
        if fault_rate is not None:
            conn.execute(VALID_IDS_SQL.format(**moduli))
        conn.execute("drop schema if exists plain cascade; create schema plain; "
                     "create table plain.failed_row (like dq.failed_row including all)")


def plain_predicate(rule: Rule) -> str:
    """The SQL predicate selecting the failing rows of a rule (the plain-SQL twin of its expectation)."""
    if rule.unexpected_where:
        return rule.unexpected_where
    kw = rule.expectation_kwargs or {}
    if rule.expectation_type == "expect_column_values_to_match_regex":
        return f"{kw['column']} is not null and {kw['column']} !~ '{kw['regex']}'"
    if rule.expectation_type == "expect_column_values_to_be_in_set":
        values = ", ".join(f"'{v}'" for v in kw["value_set"])
        return f"{kw['column']} is not null and {kw['column']} not in ({values})"
    if rule.expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        op = "<" if kw.get("or_equal") else "<="
        return f"{kw['column_A']} is not null and {kw['column_B']} is not null and {kw['column_A']} {op} {kw['column_B']}"
    raise NotImplementedError(rule.expectation_type)


def plain_counts(warehouse, rule_set, rules) -> dict[str, int]:
    counts = {}
    with connect(warehouse) as conn:
        for rule in rules:
            batch = batch_query("marts", rule.table, rule.key, [LOAD_ID], scope=rule.scope)
            counts[rule.id] = conn.execute(
                f"select count(*) from ({batch}) as b where {plain_predicate(rule)}"
            ).fetchone()[0]
    return counts


def plain_value(rule: Rule) -> str:
    """The value recorded with a failing row, as the checkpoint records it (checkpoint._outcome)."""
    if rule.unexpected_where:
        return f"({rule.value})::text"
    kw = rule.expectation_kwargs or {}
    columns = [kw["column"]] if "column" in kw else [kw["column_A"], kw["column_B"]]
    if len(columns) == 1:
        return f"coalesce({columns[0]}::text, '')"
    return " || '; ' || ".join(f"'{c}=' || coalesce({c}::text, '')" for c in columns)


def plain_writes(warehouse, rules, run: int) -> dict[str, int]:
    """Every rule's failing rows into plain.failed_row, one INSERT ... SELECT per rule; rows per rule."""
    written = {}
    with connect(warehouse) as conn:
        for rule in rules:
            batch = batch_query("marts", rule.table, rule.key, [LOAD_ID], scope=rule.scope)
            written[rule.id] = conn.execute(
                "insert into plain.failed_row (run_id, rule_id, table_name, row_key, value, message_zh) "  # noqa: S608
                f"select %s, %s, %s, b.dq_row_key, {plain_value(rule).replace('%', '%%')}, %s "
                f"from ({batch}) as b where {plain_predicate(rule).replace('%', '%%')}",
                (run, rule.id, rule.table, rule.message_zh),
            ).rowcount
    return written


def run(rows: int, repeat: int, fault_rate: float | None = None) -> dict:
    settings = replace(get_settings(), pgdata_dir=PROJECT_ROOT / ".pgdata-bench")
    admin = start_embedded(settings)
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute("drop database if exists bench_quality with (force)")
        conn.execute("create database bench_quality")
    warehouse = replace(admin, dbname="bench_quality")
    build_tables(warehouse, rows, fault_rate)
    rule_set = load_catalogue().effective(ON)
    rules = rule_set.rules_on(ON)
    start = time.perf_counter()
    import great_expectations  # noqa: F401 - timed here, once per process

    gx_import = time.perf_counter() - start
    timings: dict[str, list[float]] = {"checkpoint": [], "gx_validation": [], "plain_sql": [], "plain_sql_writes": []}
    phases: dict[str, list[float]] = {}
    gx_counts: dict[str, int] = {}
    counts: dict[str, int] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_checks(warehouse, [LOAD_ID], run_label="bench", on=ON, data_docs=False)
        timings["checkpoint"].append(time.perf_counter() - start)
        timings["gx_validation"].append(result.seconds["gx_setup"] + result.seconds["gx_checkpoint"])
        gx_counts = result.counts
        for phase, seconds in result.seconds.items():
            phases.setdefault(phase, []).append(seconds)
        errors = [o for o in result.rules if o.error]
        assert not errors, [(o.rule_id, o.error) for o in errors]
        start = time.perf_counter()
        counts = plain_counts(warehouse, rule_set, rules)
        timings["plain_sql"].append(time.perf_counter() - start)
        start = time.perf_counter()
        written = plain_writes(warehouse, rules, result.run_id)
        timings["plain_sql_writes"].append(time.perf_counter() - start)
        assert written == counts, {k: (written[k], counts[k]) for k in counts if written[k] != counts[k]}
        with connect(warehouse) as conn:
            same = conn.execute(
                "select count(*) from (select rule_id, row_key, value, message_zh from dq.failed_row where run_id = %s "
                "except all select rule_id, row_key, value, message_zh from plain.failed_row where run_id = %s) as d",
                (result.run_id, result.run_id),
            ).fetchone()[0] == 0
        assert same, "plain SQL wrote other failing rows than the checkpoint"
    assert gx_counts == counts, {k: (gx_counts.get(k), counts.get(k)) for k in counts if gx_counts.get(k) != counts[k]}
    median = {name: statistics.median(values) for name, values in timings.items()}
    checkpoint, plain = median["checkpoint"], median["plain_sql"]
    return {
        "benchmark": "quality_checkpoint",
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "rule_set": rule_set.version,
        "rules": len(rules),
        "batch_rows": {"fct_vaccinations": rows, "chk_vaccinations": rows, "dim_recipients": rows // 10,
                       "chk_recipients": rows // 10},
        "fault_rate": fault_rate,
        "failing_rows": sum(counts.values()),
        "failing_rows_by_rule": counts,
        "repeat": repeat,
        "seconds": timings,
        "checkpoint_seconds": round(checkpoint, 2),
        "gx_validation_seconds": round(median["gx_validation"], 2),
        "plain_sql_seconds": round(plain, 2),
        "plain_sql_writes_seconds": round(median["plain_sql_writes"], 2),
        "ratio": round(checkpoint / plain, 2),
        "ratio_gx_validation": round(median["gx_validation"] / plain, 2),
        "ratio_with_writes": round(checkpoint / median["plain_sql_writes"], 2),
        "gx_import_seconds": round(gx_import, 2),
        "ratio_with_gx_import": round((checkpoint + gx_import) / plain, 2),
        "phase_seconds": {phase: round(statistics.median(values), 2) for phase, values in phases.items()},
        "goal_ratio_at_most": 2.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fault-rate", type=float, default=None,
                        help="share of rows breaking each rule (default: the legacy data, see above)")
    args = parser.parse_args()
    if args.fault_rate is not None and not 0 < args.fault_rate <= 0.1:
        parser.error("--fault-rate must be in (0, 0.1]")
    result = run(args.rows, args.repeat, args.fault_rate)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quality_checkpoint.json" if args.fault_rate is None else f"quality_checkpoint_fault_{args.fault_rate:g}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(
        f"{result['rules']} rules, {args.rows:,}-row batch, {result['failing_rows']:,} failing rows: "
        f"checkpoint {result['checkpoint_seconds']} s (GX validation {result['gx_validation_seconds']} s), "
        f"plain SQL counts {result['plain_sql_seconds']} s, plain SQL writes {result['plain_sql_writes_seconds']} s; "
        f"ratio {result['ratio']}, GX validation / counts {result['ratio_gx_validation']}, "
        f"checkpoint / writes {result['ratio_with_writes']} (goal ≤ {result['goal_ratio_at_most']})"
    )


if __name__ == "__main__":
    main()
