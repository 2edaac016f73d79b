"""Run the generated GX suites on the new batch (the rows of the given loads) and record the
results in the ``dq`` schema.

How the batch is selected (GX 1.24): an ephemeral context gets one SQL datasource and, per
mart table, a *query asset* whose query is
``SELECT t.*, t.<key>::text AS dq_row_key FROM marts.<table> t WHERE t._load_id IN (<load ids>)``
with a whole-table batch definition. A query asset is the one GX 1.x asset whose batch can be
an arbitrary ``WHERE`` on a column value list: a table asset's partitioners split by date parts
or one column value per batch, and an expectation ``row_condition`` would have to be baked
into the committed suite JSON. The ``dq_row_key`` column gives every table the same key name,
so one checkpoint-level ``result_format`` (COMPLETE with ``unexpected_index_column_names``)
serves both tables. The suites themselves are read from the committed JSON
(``expectations/suites/<version>/<table>.json``), filtered to the rules effective on the run
date, and run together by one Checkpoint.

Results go to ``dq.check_run`` / ``dq.check_result`` / ``dq.failed_row`` (one row per failing
record, with all failing records, see :func:`_outcome`) and the catalogue's rules are upserted
into ``dq.rule``. Earlier runs' rows are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.sql import Literal

from vaxdw import clock
from vaxdw.audit.events import record_config
from vaxdw.db import PgParams, connect
from vaxdw.quality.catalogue import Catalogue, Rule, RuleSet, load_catalogue
from vaxdw.quality.schema import ensure_schema
from vaxdw.quality.suites import ROW_KEY, VALUE, load_suite
from vaxdw.settings import get_settings

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "vaxdw.marts.new_batch"
# BASIC: GX counts the failing rows of every rule (map expectations: one aggregate query per
# table; UnexpectedRowsCountExpectation: a count of the suite's query) and decides pass/fail, but
# returns no rows. No sample values (partial_unexpected_count 0); instead, for map expectations,
# the SQL query selecting the failing rows by key (return_unexpected_index_query), which
# _write_failing_rows runs server-side, like the suite queries of the other rules.
RESULT_FORMAT = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "unexpected_index_column_names": [ROW_KEY],
    "return_unexpected_index_query": True,
}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass
class RuleOutcome:
    rule_id: str
    table_name: str
    severity: str
    name_zh: str
    rows_checked: int
    rows_failed: int
    success: bool
    error: str | None = None
    message_zh: str = ""
    failing_rows_sql: str | None = None  # the SELECT (dq_row_key, dq_value) of the failing rows


@dataclass
class CheckRunResult:
    run_id: int
    rule_set_version: str
    load_ids: list[int]
    label: str
    status: str  # passed | warned | failed | error
    started_at: dt.datetime
    finished_at: dt.datetime
    rules: list[RuleOutcome] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # declared rules not evaluated (status pending)
    rechecked: int = 0  # records re-validated because their corrections changed
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase (see run_checks)

    @property
    def counts(self) -> dict[str, int]:
        """rule_id -> number of failing rows."""
        return {r.rule_id: r.rows_failed for r in self.rules}

    @property
    def failed_rules(self) -> list[str]:
        return [r.rule_id for r in self.rules if not r.success]

    def as_text(self) -> str:
        loads = ", ".join(map(str, self.load_ids)) or "none"
        seconds = (self.finished_at - self.started_at).total_seconds()
        lines = [
            f"数据质量检查 dq run {self.run_id}  rule set {self.rule_set_version}  loads [{loads}]"
            + (f"  label {self.label}" if self.label else ""),
            f"status {self.status.upper()}  ({len(self.rules)} rules, {seconds:.1f}s)",
        ]
        for r in self.rules:
            state = "ERROR" if r.error else ("passed" if r.success else "FAILED")
            lines.append(
                f"  {r.rule_id:<29} {r.table_name:<20} {r.severity:<5} {state:<6} "
                f"failing {r.rows_failed:>7,} of {r.rows_checked:>9,}  {r.name_zh}"
            )
            if r.error:
                lines.append(f"      {r.error}")
        for rule_id in self.pending:
            lines.append(f"  {rule_id:<29} pending (declared, not evaluated: its data mart does not exist yet)")
        if self.rechecked:
            lines.append(f"  re-validated {self.rechecked:,} corrected records")
        return "\n".join(lines)


def batch_query(
    schema: str, table: str, key: str, load_ids: list[int], *, scope: str = "batch", recheck_run: int | None = None
) -> str:
    """The rows of ``schema.table`` loaded by ``load_ids`` (plus the records queued for re-validation
    by run ``recheck_run``), or the whole table for scope ``all``; the key added as ``dq_row_key``."""
    for name in (schema, table, key):
        if not _IDENT.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    select = f"SELECT t.*, t.{key}::text AS {ROW_KEY} FROM {schema}.{table} AS t"
    if scope == "all":
        return select
    where = f"t._load_id IN ({', '.join(str(int(i)) for i in load_ids)})" if load_ids else "false"
    if recheck_run is not None:
        where += (
            f" OR t.{key}::text IN (SELECT q.row_key FROM dq.recheck_queue AS q "
            f"WHERE q.run_id = {int(recheck_run)} AND q.key_column = '{key}')"
        )
    return f"{select} WHERE {where}"


def batch_view(run_id: int, table: str) -> str:
    """The name of the view (schema dq) over a run's batch of ``table``; dropped when the run ends."""
    return f"batch_{int(run_id)}_{table}"


def _drop_batch_views(params: PgParams, run_id: int, tables) -> None:
    with connect(params, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"drop view if exists dq.{batch_view(run_id, table)}")


def run_checks(
    params: PgParams,
    load_ids: list[int],
    run_label: str = "",
    *,
    on: dt.date | None = None,
    schema: str = "marts",
    catalogue: Catalogue | None = None,
    suites_base: Path | None = None,
    data_docs: bool = True,
    data_docs_dir: Path | None = None,
) -> CheckRunResult:
    """Validate the batch ``load_ids`` of the marts with the rule set effective ``on`` (default today).

    GX Data Docs for the run are written to ``data_docs_dir`` (default ``<out_dir>/data_docs``)
    unless ``data_docs`` is false.
    """
    if data_docs and data_docs_dir is None:
        data_docs_dir = get_settings().out_dir / "data_docs"
    elif not data_docs:
        data_docs_dir = None
    load_ids = sorted({int(i) for i in load_ids})
    catalogue = catalogue or load_catalogue()
    day = on or clock.today()
    rule_set = catalogue.effective(day)
    rules = rule_set.rules_on(day)
    pending = [r.id for r in rule_set.pending_on(day)]

    with connect(params, autocommit=True) as conn:
        ensure_schema(conn)
        _upsert_rules(conn, rule_set)
        run_id, started_at = conn.execute(
            "insert into dq.check_run (rule_set_version, load_ids, label, status) "
            "values (%s, %s, %s, 'running') returning run_id, started_at",
            (rule_set.version, load_ids, run_label),
        ).fetchone()
        rechecked = conn.execute(
            "update dq.recheck_queue set run_id = %s where run_id is null", (run_id,)
        ).rowcount
    record_config(params, "quality rule catalogue", catalogue, source=f"rule set {rule_set.version} effective {day}")

    seconds: dict[str, float] = {}
    try:
        try:
            outcomes, batch_sql = _validate(
                params, rule_set, rules, load_ids, schema, run_id,
                run_id if rechecked else None, suites_base, data_docs_dir, seconds,
            )
        except Exception as exc:
            with connect(params, autocommit=True) as conn:
                conn.execute(
                    "update dq.check_run set status = 'error', finished_at = now(), error = %s where run_id = %s",
                    (f"{type(exc).__name__}: {exc}", run_id),
                )
            raise
        status, finished_at = _record(params, run_id, rule_set, rules, outcomes, batch_sql, seconds, schema)
    finally:
        _drop_batch_views(params, run_id, rule_set.tables)

    return CheckRunResult(
        run_id=run_id,
        rule_set_version=rule_set.version,
        load_ids=load_ids,
        label=run_label,
        status=status,
        started_at=started_at,
        finished_at=finished_at,
        rules=outcomes,
        pending=pending,
        rechecked=rechecked,
        seconds=seconds,
    )


def _record(params: PgParams, run_id: int, rule_set: RuleSet, rules: tuple[Rule, ...],
            outcomes: list[RuleOutcome], batch_sql: dict[str, str], seconds: dict[str, float], schema: str):
    """Write the run's failing rows, per-rule results and current anomalies in one transaction;
    return (status, finished_at)."""
    with connect(params) as conn:
        with conn.cursor() as cur:
            clock = time.perf_counter()
            _write_failing_rows(cur, run_id, rule_set, outcomes, {r.id: r for r in rules}, batch_sql, schema)
            seconds["failed_rows"] = time.perf_counter() - clock
            status = _status(outcomes)
            cur.executemany(
                "insert into dq.check_result (run_id, rule_id, table_name, severity, rows_checked, "
                "rows_failed, success, error) values (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (run_id, o.rule_id, o.table_name, o.severity, o.rows_checked, o.rows_failed,
                     o.success, o.error)
                    for o in outcomes
                ],
            )
            finished_at = cur.execute(
                "update dq.check_run set status = %s, finished_at = clock_timestamp() where run_id = %s "
                "returning finished_at",
                (status, run_id),
            ).fetchone()[0]
    return status, finished_at


def _status(outcomes: list[RuleOutcome]) -> str:
    if any(o.error for o in outcomes):
        return "error"
    if any(not o.success and o.severity == "error" for o in outcomes):
        return "failed"
    if any(not o.success for o in outcomes):
        return "warned"
    return "passed"


def _upsert_rules(conn, rule_set: RuleSet) -> None:
    conn.cursor().executemany(
        """
        insert into dq.rule (rule_id, version, name_zh, message_zh, table_name, key_column, severity,
            standard, effective_from, effective_to, repairable, repair_how, check_kind, check_definition,
            family, status, scope, repair_action)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (rule_id, version) do update set
            name_zh = excluded.name_zh, message_zh = excluded.message_zh, table_name = excluded.table_name,
            key_column = excluded.key_column, severity = excluded.severity, standard = excluded.standard,
            effective_from = excluded.effective_from, effective_to = excluded.effective_to,
            repairable = excluded.repairable, repair_how = excluded.repair_how,
            check_kind = excluded.check_kind, check_definition = excluded.check_definition,
            family = excluded.family, status = excluded.status, scope = excluded.scope,
            repair_action = excluded.repair_action, updated_at = now()
        """,
        [
            (r.id, rule_set.version, r.name_zh, r.message_zh, r.table, r.key, r.severity, r.standard,
             r.effective_from, r.effective_to, r.repairable, r.repair_how, r.kind,
             json.dumps(r.check_definition(), ensure_ascii=False), r.family, r.status, r.scope,
             r.repair_action)
            for r in rule_set.rules
        ],
    )


def _quiet_gx() -> None:
    """No usage statistics, no INFO chatter (progress bars are switched off on the context)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _validate(
    params: PgParams,
    rule_set: RuleSet,
    rules: tuple[Rule, ...],
    load_ids: list[int],
    schema: str,
    run_id: int,
    recheck_run: int | None,
    suites_base: Path | None,
    data_docs_dir: Path | None,
    seconds: dict[str, float],
) -> tuple[list[RuleOutcome], dict[str, str]]:
    _quiet_gx()
    clock = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import vaxdw.quality.gx_count_expectation  # noqa: F401 - the suites' type for unexpected_where rules

    seconds["gx_import"] = time.perf_counter() - clock
    clock = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_postgres(
        name="vaxdw_warehouse", connection_string=params.sqlalchemy_url
    )

    by_id = {r.id: r for r in rules}
    batch_sql: dict[str, str] = {}
    definitions = []
    for table, key in rule_set.tables.items():
        suite_data = load_suite(rule_set.version, table, suites_base)
        suite_data["expectations"] = [
            e for e in suite_data["expectations"] if e["meta"]["rule_id"] in by_id
        ]
        if not suite_data["expectations"]:
            continue
        batch_sql[table] = batch_query(
            schema, table, key, load_ids, scope=rule_set.scope_of(table), recheck_run=recheck_run
        )
        # A view over the batch query, validated as a table asset: GX learns a query asset's columns
        # by running its query and fetching every row (the whole batch); a table's from the catalog.
        view = batch_view(run_id, table)
        with connect(params, autocommit=True) as conn:
            conn.execute(f"create or replace view dq.{view} as {batch_sql[table]}")  # noqa: S608
        asset = datasource.add_table_asset(name=table, table_name=view, schema_name="dq")
        batch_definition = asset.add_batch_definition_whole_table(f"{table}.loads")
        suite = context.suites.add(gx.ExpectationSuite(**suite_data))
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{table}.new_batch", data=batch_definition, suite=suite)
            )
        )

    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=CHECKPOINT_NAME, validation_definitions=definitions, actions=[], result_format=RESULT_FORMAT
        )
    )
    seconds["gx_setup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = checkpoint.run(run_id=_gx_run_id(run_id))
        seconds["gx_checkpoint"] = time.perf_counter() - clock
        if data_docs_dir is not None:
            clock = time.perf_counter()
            _build_data_docs(context, Path(data_docs_dir))
            seconds["data_docs"] = time.perf_counter() - clock
    clock = time.perf_counter()

    counts = _batch_counts(params, batch_sql)
    outcomes: list[RuleOutcome] = []
    for suite_result in result.run_results.values():
        for er in suite_result.results:
            rule = by_id[er.expectation_config.meta["rule_id"]]
            outcomes.append(_outcome(rule, er, counts[rule.table], batch_sql[rule.table]))
    order = {r.id: i for i, r in enumerate(rules)}
    outcomes.sort(key=lambda o: order[o.rule_id])
    seconds["batch_counts"] = time.perf_counter() - clock
    return outcomes, batch_sql


def _build_data_docs(context, directory: Path) -> None:
    """Render this run's suites and validation results as GX Data Docs (best effort).

    The context is ephemeral, so the site index lists this run only; earlier runs' pages stay
    on disk, and dq.* remains the record of all runs.
    """
    try:
        context.add_data_docs_site(
            site_name="vaxdw",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(directory.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        context.build_data_docs(site_names=["vaxdw"])
    except Exception:  # documentation must never fail a check run
        log.warning("building GX Data Docs in %s failed", directory, exc_info=True)


def _gx_run_id(run_id: int):
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=f"dq-run-{run_id}", run_time=clock.now())


def _batch_counts(params: PgParams, batch_sql: dict[str, str]) -> dict[str, int]:
    with connect(params) as conn:
        return {
            table: conn.execute(f"select count(*) from ({sql}) as b").fetchone()[0]
            for table, sql in batch_sql.items()
        }


def _exception_message(er) -> str | None:
    info = er.exception_info or {}
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for item in candidates:
        if item.get("raised_exception"):
            return str(item.get("exception_message") or "exception during validation")[:2000]
    return None


def _outcome(rule: Rule, er, rows_checked: int, batch_sql: str) -> RuleOutcome:
    """One rule's result from a GX validation result (result format BASIC, see RESULT_FORMAT),
    with the SQL query GX itself gives for the rule's failing rows (``failing_rows_sql``)."""
    error = _exception_message(er)
    base = dict(rule_id=rule.id, table_name=rule.table, severity=rule.severity, name_zh=rule.name_zh,
                message_zh=rule.message_zh, rows_checked=rows_checked)
    if error:
        return RuleOutcome(**base, rows_failed=0, success=False, error=error)
    res = er.result or {}
    if rule.kind == "expectation":
        # Map expectation: GX counts the failing rows in its bundled aggregate query and returns
        # the query selecting them (dq_row_key first, then the checked column(s)).
        failed = int(res.get("unexpected_count") or 0)
        try:
            source = _repair_index_query(res.get("unexpected_index_query"), batch_sql)
        except ValueError as exc:
            source, error = None, str(exc)
        columns = _domain_columns(rule)
        if len(columns) == 1:
            value = f"coalesce(q.{columns[0]}::text, '')"
        else:
            value = " || '; ' || ".join(f"'{c}=' || coalesce(q.{c}::text, '')" for c in columns)
        sql = f"SELECT q.{ROW_KEY}::text AS {ROW_KEY}, {value} AS {VALUE} FROM ({source}) AS q" if source else None
    else:
        # UnexpectedRowsCountExpectation: observed_value is GX's count of the suite's query; the rows
        # are that very query with {batch} replaced by the batch subquery GX used.
        failed = int(res.get("observed_value") or 0)
        sql = er.expectation_config.kwargs["unexpected_rows_query"].format(batch=f"({batch_sql}) AS subselect")
    if failed and not sql and not error:
        error = "GX returned no query for the failing rows"
    return RuleOutcome(**base, rows_failed=failed, success=bool(er.success) and failed == 0, error=error,
                       failing_rows_sql=sql if failed and not error else None)


def _repair_index_query(query: str | None, batch_sql: str) -> str | None:
    """GX 1.24 renders the unexpected_index_query of a query asset as ``SELECT ... FROM <batch
    query> WHERE <condition>;`` with the batch query not parenthesised (not valid SQL). Put the
    batch query GX used into a subquery; GX's column list and condition stay as GX wrote them."""
    if not query:
        return None
    query = query.strip().removesuffix(";")
    bare = f"FROM {batch_sql} \nWHERE "
    if query.count(bare) == 1:
        return query.replace(bare, f"FROM ({batch_sql}) AS subselect\nWHERE ")
    return query


def _domain_columns(rule: Rule) -> list[str]:
    kwargs = rule.expectation_kwargs or {}
    columns = [kwargs["column"]] if "column" in kwargs else [kwargs["column_A"], kwargs["column_B"]]
    for column in columns:
        if not _IDENT.match(column):
            raise ValueError(f"not a plain SQL identifier: {column!r}")
    return columns


def _write_failing_rows(cur, run_id: int, rule_set: RuleSet, outcomes: list[RuleOutcome], rules: dict[str, Rule],
                        batch_sql: dict[str, str], schema: str = "marts") -> None:
    """All failing rows of every failing rule into dq.failed_row, and dq.current_anomaly brought up to
    date, with one statement per table; set-based, without fetching rows into Python.

    The failing rows of a table: for its ``unexpected_where`` rules, a single scan of the batch that
    lists per row the rules whose predicate holds, with the rule's value expression (the rule's
    ``unexpected_where`` and ``value`` from the catalogue, which is what the suite query GX counted was
    generated from, :func:`vaxdw.quality.suites.unexpected_rows_query`); for map expectations, the
    query GX gave for the rule. The statement inserts them into dq.failed_row and, from that insert's
    RETURNING, maintains dq.current_anomaly, the latest verdict per record and rule: anomalies not
    there yet are added, those whose value, message or rule description changed are updated (an
    anomaly found again keeps the run and time it was first found), and those of the records this run
    checked that it did not find again are dropped (fixed records; rules in error give no verdict), as are
    those of records no longer in the table (a deleted dose, the doses of a deleted recipient: no batch
    holds them again, and a check of the whole table would not find them).

    The rows inserted per rule must equal GX's count, else the rule becomes an error: its rows stay in
    dq.failed_row (the record of what its query returned), its checked records leave
    dq.current_anomaly.
    """
    inserted: dict[str, int] = {}
    failing = [o for o in outcomes if o.failing_rows_sql]

    def lit(value) -> str:
        return Literal(value).as_string(cur)

    # No parameters below: the SQL text may contain '%' (LIKE patterns) and is sent as is.
    for table, batch in batch_sql.items():
        mine = [rules[o.rule_id] for o in failing if o.table_name == table]
        earlier = cur.execute(
            f"SELECT EXISTS (SELECT FROM dq.current_anomaly WHERE table_name = {lit(table)})"  # noqa: S608
        ).fetchone()[0]
        if not mine and not earlier:
            continue
        whole = rule_set.scope_of(table) == "all"
        checked = None if whole else batch
        present = None if whole else batch_query(schema, table, rule_set.tables[table], [], scope="all")
        key = None if whole else _typed_key(cur, schema, table, rule_set.tables[table])
        inserted.update(cur.execute(
            _table_statement(lit, run_id, rule_set.version, table, _failing_rows(lit, table, mine, failing, batch),
                             mine, drop_checked=earlier, checked_batch=checked, present=present, present_key=key)
        ).fetchall())
    for o in failing:
        if inserted.get(o.rule_id, 0) != o.rows_failed:
            o.error = f"GX counted {o.rows_failed} failing rows, the rule's query returned {inserted.get(o.rule_id, 0)}"
    errored = sorted(o.rule_id for o in outcomes if o.error)
    for table, batch in batch_sql.items():
        if any(rules[rule_id].table == table for rule_id in errored):
            checked = "" if rule_set.scope_of(table) == "all" else f"AND a.row_key IN (SELECT b.{ROW_KEY} FROM ({batch}) AS b)"
            cur.execute(
                f"DELETE FROM dq.current_anomaly AS a WHERE a.table_name = {lit(table)} {checked} "  # noqa: S608
                f"AND a.rule_id IN ({', '.join(lit(r) for r in errored)})"
            )


def _typed_key(cur, schema: str, table: str, key: str) -> tuple[str, str]:
    """(column, SQL type) of ``table``'s row key: the anomalies' text keys are cast to it, so a lookup of
    them goes through the index on the key column under the mart, not a cast of every row of it."""
    row = cur.execute(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attname = %s AND NOT a.attisdropped",
        (f"{schema}.{table}", key),
    ).fetchone()
    if row is None:
        raise ValueError(f"{schema}.{table} has no key column {key!r}")
    return key, row[0]


def _failing_rows(lit, table: str, mine: list[Rule], failing: list[RuleOutcome], batch: str) -> str:
    """SELECT (rule_id, row_key, value, message_zh) of the failing rows of ``table`` (the rules ``mine``)."""
    parts = []
    where_rules = [r for r in mine if r.kind == "unexpected_where"]
    if where_rules:
        # The batch rows that fail any rule (a row whose predicates are all false or NULL fails none)
        # and, per such row, the ids of the rules it fails; then the value expression of the failed
        # rule, evaluated for the failing rows only.
        fails_any = " OR ".join(f"({r.unexpected_where})" for r in where_rules)
        flags = ", ".join(f"CASE WHEN {r.unexpected_where} THEN {lit(r.id)} END" for r in where_rules)
        values = " ".join(f"WHEN {lit(r.id)} THEN ({r.value})::text" for r in where_rules)
        messages = ", ".join(f"({lit(r.id)}, {lit(r.message_zh)})" for r in where_rules)
        parts.append(
            f"SELECT f.dq_rule_id AS rule_id, f.{ROW_KEY} AS row_key, CASE f.dq_rule_id {values} END AS value, "
            f"m.message_zh FROM (SELECT b.*, unnest(array_remove(ARRAY[{flags}], NULL)) AS dq_rule_id "
            f"FROM ({batch}) AS b WHERE {fails_any}) AS f "
            f"INNER JOIN (VALUES {messages}) AS m (rule_id, message_zh) ON m.rule_id = f.dq_rule_id"
        )
    for o in failing:
        if o.table_name == table and any(r.id == o.rule_id and r.kind == "expectation" for r in mine):
            parts.append(
                f"SELECT {lit(o.rule_id)} AS rule_id, r.{ROW_KEY}::text AS row_key, r.{VALUE}::text AS value, "
                f"{lit(o.message_zh)} AS message_zh FROM ({o.failing_rows_sql}) AS r"
            )
    if not parts:  # nothing failed: the statement only drops the checked records' anomalies
        return "SELECT NULL::text AS rule_id, NULL::text AS row_key, NULL::text AS value, NULL::text AS message_zh WHERE false"
    return " UNION ALL ".join(f"({part})" for part in parts)


def _table_statement(lit, run_id: int, version: str, table: str, failing_rows: str, mine: list[Rule], *,
                     drop_checked: bool, checked_batch: str | None, present: str | None = None,
                     present_key: tuple[str, str] | None = None) -> str:
    """The statement of :func:`_write_failing_rows` for one table; returns (rule_id, rows inserted).

    ``drop_checked`` false (the table had no anomalies before this run): every failing row is a new
    anomaly. Otherwise one full join of this run's failing rows with the table's anomalies gives the
    difference: failing rows without an anomaly (added), anomalies found again with another value,
    message or rule description (updated), anomalies not found again (dropped if their record is in
    ``checked_batch``, the batch query, or no longer in ``present``, the query of the whole table; any
    record when ``checked_batch`` is None, scope ``all``). A full join is planned as a hash or merge join
    whatever the row estimates (the rows just inserted have no statistics).

    Whether a record is still in the table is asked of ``present`` for the anomalies' keys only, as one
    array of ``present_key`` (column, type): ``key = ANY (array)`` reaches the index on the key under the
    mart's view, so a check run reads as many rows as the table has anomalies, not the whole table.
    """
    table_lit, version_lit, run = lit(table), lit(version), int(run_id)
    described = ", ".join(f"({lit(r.id)}, {lit(r.name_zh)}, {lit(r.family)}, {lit(r.severity)})" for r in mine)
    if not described:
        described = "(NULL::text, NULL::text, NULL::text, NULL::text)"
    columns = "rule_id, rule_set_version, rule_name_zh, family, severity, table_name, row_key, value, message_zh, run_id"
    head = (
        f"WITH ins AS (INSERT INTO dq.failed_row (run_id, rule_id, table_name, row_key, value, message_zh) "  # noqa: S608
        f"SELECT {run}, f.rule_id, {table_lit}, f.row_key, f.value, f.message_zh FROM ({failing_rows}) AS f "
        "RETURNING rule_id, row_key, value, message_zh), "
        "found AS (SELECT ins.rule_id, ins.row_key, ins.value, ins.message_zh, r.name_zh, r.family, r.severity "
        f"FROM ins INNER JOIN (VALUES {described}) AS r (rule_id, name_zh, family, severity) "
        "ON r.rule_id = ins.rule_id), "
    )
    tail = "SELECT rule_id, count(*) FROM ins GROUP BY rule_id"
    if not drop_checked:
        return head + (
            f"added AS (INSERT INTO dq.current_anomaly ({columns}) SELECT f.rule_id, {version_lit}, f.name_zh, "
            f"f.family, f.severity, {table_lit}, f.row_key, f.value, f.message_zh, {run} FROM found AS f) "
        ) + tail
    drop = ("DELETE FROM dq.current_anomaly AS a USING diff AS d{using} "
            "WHERE d.row_key IS NULL AND a.ctid = d.anomaly{cond}")
    if checked_batch is None:
        deletes = f"dropped AS ({drop.format(using='', cond='')}) "
    else:
        # Two deletes rather than one OR (which PostgreSQL would run as a subquery per anomaly), disjoint as
        # the batch is rows of the table: the checked records, and the records gone from the table.
        if present is None:
            raise ValueError("a batch-scoped check needs the query of the whole table (present)")
        checked = drop.format(using=f", ({checked_batch}) AS b", cond=f" AND b.{ROW_KEY} = d.anomaly_key")
        if present_key is None:
            raise ValueError("a batch-scoped check needs the table's key column and type (present_key)")
        column, key_type = present_key
        if not _IDENT.match(column):
            raise ValueError(f"not a plain SQL identifier: {column!r}")
        asked = (f"ARRAY(SELECT u.anomaly_key::{key_type} FROM diff AS u "
                 "WHERE u.row_key IS NULL AND u.anomaly_key IS NOT NULL)")
        # The keys gone, computed once (EXCEPT: hashed or sorted, never a lookup of the table per anomaly,
        # which an anti-join with a subquery of unknown size can become).
        gone_keys = (
            "gone AS MATERIALIZED (SELECT u.anomaly_key FROM diff AS u WHERE u.row_key IS NULL "
            f"AND u.anomaly_key IS NOT NULL EXCEPT SELECT p.{ROW_KEY} FROM ({present}) AS p "
            f"WHERE p.{column} = ANY ({asked})), "
        )
        gone = drop.format(using=", gone AS g", cond=" AND g.anomaly_key = d.anomaly_key")
        deletes = f"{gone_keys}dropped AS ({checked}), vanished AS ({gone}) "
    # The CTEs see the anomalies as they were before the statement and touch disjoint rows of them.
    return head + (
        "diff AS MATERIALIZED (SELECT f.rule_id, f.row_key, f.value, f.message_zh, f.name_zh, f.family, "
        "f.severity, a.anomaly, a.row_key AS anomaly_key FROM found AS f FULL JOIN ("
        "SELECT ctid AS anomaly, rule_id, row_key, rule_set_version, rule_name_zh, family, severity, value, "
        f"message_zh FROM dq.current_anomaly WHERE table_name = {table_lit}) AS a "
        "ON a.row_key = f.row_key AND a.rule_id = f.rule_id "
        "WHERE f.row_key IS NULL OR a.row_key IS NULL "
        "OR (a.rule_set_version, a.rule_name_zh, a.family, a.severity, a.value, a.message_zh) "
        f"IS DISTINCT FROM ({version_lit}, f.name_zh, f.family, f.severity, f.value, f.message_zh)), "
        f"changed AS (UPDATE dq.current_anomaly AS a SET rule_set_version = {version_lit}, rule_name_zh = d.name_zh, "
        "family = d.family, severity = d.severity, value = d.value, message_zh = d.message_zh FROM diff AS d "
        "WHERE d.row_key IS NOT NULL AND d.anomaly_key IS NOT NULL AND a.ctid = d.anomaly), "
        f"added AS (INSERT INTO dq.current_anomaly ({columns}) SELECT d.rule_id, {version_lit}, d.name_zh, "
        f"d.family, d.severity, {table_lit}, d.row_key, d.value, d.message_zh, {run} FROM diff AS d "
        "WHERE d.anomaly_key IS NULL), "
        + deletes
    ) + tail
