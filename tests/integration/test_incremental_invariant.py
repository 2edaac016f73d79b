"""The invariant that makes incremental builds safe: a warehouse that loaded and built incrementally after
every simulated day holds exactly what a warehouse that loaded everything once and built from scratch holds,
finds the same data-quality anomalies and exports the same statements.

Two warehouses read one tiny generated source. ``daily`` loads, runs ``dbt build`` and checks the loads
(the pipeline's check run, vaxdw.quality.checkpoint) after the generation, then after each simulated day
(``simulate_days``) loads, runs the incremental build and checks the day's loads; ``once`` loads and builds
(``--full-refresh``) after the last day. The days' builds leave out dbt's data tests (the first build runs
them; they read the models and change nothing). After the last build both warehouses run one check run over
every load they hold (below). Compared, each order-independently:

- every staging, intermediate and mart relation (vaxdw.checksums). Excluded: the lineage columns
  ``_load_id``/``_loaded_at``/``_derived_load_id``/``_ledger_build``/``_evaluation_date`` (load ids, times,
  build numbers and the evaluation date a row was derived at differ by construction: one warehouse loaded
  the same rows in more batches and built more often), the
  stock ledger's change log ``int_stock_ledger_changes`` (the same lineage, as a table), the build-time columns of vaxdw.checksums, and in the anomaly
  report's views the run that first found an anomaly and when (CHECK_RUN_COLUMNS).
- the check run's state (DQ_STATE): dq.current_anomaly, the last run's dq.failed_row, dq.check_result and
  dq.check_run (rule set, status), dq.rule, and the views over the anomalies marts.rpt_dq_anomaly and
  rpt_dq_upload_blocked. Excluded: run ids, run times, load ids and labels, and dq.current_anomaly's
  ``detected_at`` (by construction), dq.rule's ``updated_at`` (the time of the upsert), ``daily``'s earlier
  runs (it ran more of them), and dq.recheck_queue (the repair service queues the records it changes in
  ``daily``; ``once`` gets its corrections copied). A check run checks the rows of the given loads: the
  pipeline gives its own run's loads, which in ``once`` are everything and in ``daily`` only the day's,
  and a day's batch does not hold every record whose verdict changed that day (a township merge changes
  the verdict of the records still coded with the old township; a corrected birth date, the verdicts of
  the child's doses), so the last batch check of ``daily`` cannot equal ``once``'s check of everything.
  The honest comparison is of a check of every current record in both: the union of all of ``daily``'s
  batches, the one batch of ``once`` (each rule checked the whole table; asserted). ``daily``'s check
  starts from what its daily checks and repairs left and must drop, update and add anomalies to reach
  what ``once``'s check writes into an empty table (it used to keep the anomalies of records gone from
  the table, e.g. the doses of a child soft-deleted after their check).
- the statements the pipeline's export step writes by default (vaxdw.reports.exports.write_all, default
  period, the evaluation date frozen by tests/conftest.py): every sheet's rows of cell values
  (vaxdw.checksums.workbook_rows). Excluded: the column 发现时间 of 异常数据明细 (``detected_at``). Not content
  and not compared: styles, layout and the document properties (which hold the file's creation time).

The days are the simulator's days (births, the day's doses entered on time or late, old doses corrected,
IDs and townships fixed, soft deletes, register moves, a township merge on day 2, stock, visits), plus the
cases that break naive incremental models: a dose soft-deleted, a dose moved to another child, a birth date
corrected (re-classifies the child's doses), a child's township moved, a child soft-deleted, a stock line
corrected, the same dose edited every day, a township merge dated back before codes already loaded, an
observation moved to another visit, a signed registration deleted and a sign-off moved to another dose.
Between days the quality team repairs ``daily`` through vaxdw.repair.service (dose numbers and a sex on
day 1, the dose-number repair undone and redone differently on day 2): the next day's incremental build
must follow the corrections. ``once`` gets the same corrections (copied) before its full build.

The test can fail: a mutant loader that never marks the day's versions current, a mutant dose chain that forgets
the previous child of a moved dose, a mutant ledger follower that ignores the ledger's change log, a mutant
aggregate that adds a chain model's new rows but never subtracts the old ones, a mutant model re-derived by
(vaccination date, unit) that forgets where a changed observation was, mutant counts kept by difference from a
staging model that never subtract the versions the day superseded, and a mutant check run that never drops an
anomaly must each be caught.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from psycopg import sql

from tests.conftest import _fresh_database
from vaxdw import checksums
from vaxdw.contract import tables
from vaxdw.db import PgParams, connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import current, load_all
from vaxdw.pipeline import default_period, load_ids_of_run
from vaxdw.quality import checkpoint
from vaxdw.quality.schema import ensure_schema
from vaxdw.repair import service
from vaxdw.reports import anomaly_exports
from vaxdw.reports.exports import EXPORT_MODULES, write_all
from vaxdw.settings import get_settings
from vaxdw.simulator import generate
from vaxdw.simulator.days import simulate_days

SCHEMAS = ["staging", "intermediate", "marts"]
LINEAGE = ("_load_id", "_loaded_at", "_derived_load_id", "_ledger_build", "_evaluation_date")
# The change logs (what each build of the stock ledger re-derived, what each build of a logged chain model
# replaced) and the state of the models that follow a log (the last build they added): lineage, like load
# ids (one warehouse built more often). The followers' content is compared.
EXCLUDED_RELATIONS = r"^intermediate\.\w+_(changes|state)$"
# The anomaly report's views read dq.current_anomaly: the run that first found an anomaly and when.
CHECK_RUN_COLUMNS = ("marts.rpt_dq_anomaly.run_id", "marts.rpt_dq_anomaly.detected_at",
                     "marts.rpt_dq_upload_blocked.detected_at")
# The check run's state compared after the last check run of each warehouse: relation, the columns left
# out (identifiers and times of the runs), and whether only the last run's rows count.
DQ_STATE = (
    ("dq.current_anomaly", ("run_id", "detected_at"), False),
    ("dq.failed_row", ("run_id",), True),
    ("dq.check_result", ("run_id",), True),
    ("dq.check_run", ("run_id", "started_at", "finished_at", "load_ids", "label"), True),
    ("dq.rule", ("updated_at",), False),
    ("marts.rpt_dq_anomaly", ("run_id", "detected_at"), False),
    ("marts.rpt_dq_upload_blocked", ("detected_at",), False),
)
# Statement columns whose values differ by construction: 异常数据明细's 发现时间 (dq.current_anomaly.detected_at).
STATEMENT_IGNORED_HEADERS = ("发现时间",)
CHAIN = ("int_recipients_corrected", "int_vaccinations_corrected", "int_vaccinations")
VALID_ID = r"^[0-9]{17}[0-9X]$"


def _mutant_project(tmp_path: Path, macro_file: str, pattern: str, replacement: str, flags: int = 0) -> Path:
    """A copy of the dbt project with one edit (exactly one match of ``pattern``) in one macro file."""
    project = tmp_path / "dbt_project"
    shutil.copytree(get_settings().dbt_project_dir, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    macro = project / "macros" / macro_file
    text, count = re.subn(pattern, replacement, macro.read_text(), flags=flags)
    assert count == 1
    macro.write_text(text)
    return project


def _mutant_day(world, tmp_path: Path, day: int, project: Path, selected: tuple[str, ...],
                rebuild_first: bool = False) -> set[str]:
    """One more day built by a mutant project in ``daily`` (its selected models rebuilt whole first, when the
    mutants before left them behind) and in full in ``once``: the relations that differ."""
    source, daily, once, target = world
    if rebuild_first:
        _build(daily, tmp_path / "daily", "--full-refresh", *selected)
    _day(source, day)
    load_all(source, daily, pipeline_run_id=f"day-{day}")
    load_all(source, once, pipeline_run_id=f"once-{day}")
    _build(daily, tmp_path / "mutant", *selected, project=project)
    _build(once, target / "once", "--full-refresh", *selected)
    return set(checksums.differences(_sums(daily), _sums(once)))


def _nasty_day(source: PgParams, day: int) -> None:
    """Edits that a naive incremental model gets wrong, stamped after everything already in the source."""
    with connect(source) as conn:
        (base,) = conn.execute(
            "select max(updated_at) from (select max(updated_at) as updated_at from ops.vaccination "
            "union all select max(updated_at) from ops.recipient union all select max(updated_at) "
            "from ops.stock_line union all select max(updated_at) from ops.township_change) as marks"
        ).fetchone()
        moment = base + timedelta(minutes=5)
        live = "not is_deleted"
        picks = conn.execute(
            f"select vaccination_id, recipient_id from ops.vaccination where {live} "
            "order by md5(vaccination_id::text || %s) limit 3", (str(day),)
        ).fetchall()
        (deleted_dose, _), (moved_dose, _), (edited_dose, _) = picks
        children = [row[0] for row in conn.execute(
            f"select recipient_id from ops.recipient where {live} order by md5(recipient_id::text || %s) limit 4",
            (str(day),),
        )]
        conn.execute("update ops.vaccination set is_deleted = true, updated_at = %s where vaccination_id = %s",
                     (moment, deleted_dose))
        conn.execute("update ops.vaccination set recipient_id = %s, updated_at = %s where vaccination_id = %s",
                     (children[0], moment, moved_dose))
        # the same dose edited every day (a new version per load)
        conn.execute("update ops.vaccination set site_code = case when site_code = '1' then '2' else '1' end, "
                     "updated_at = %s where vaccination_id = (select min(vaccination_id) from ops.vaccination "
                     f"where {live})", (moment,))
        conn.execute("update ops.vaccination set dose_no = dose_no + 1, updated_at = %s where vaccination_id = %s",
                     (moment, edited_dose))
        conn.execute("update ops.recipient set birth_at = birth_at - interval '40 days', updated_at = %s "
                     "where recipient_id = %s", (moment, children[1]))
        conn.execute(
            "update ops.recipient set residence_township_code = (select region_code from ops.region "
            "where region_level = 4 and region_code <> recipient.residence_township_code "
            "order by md5(region_code || %s) limit 1), updated_at = %s where recipient_id = %s",
            (str(day), moment, children[2]),
        )
        conn.execute("update ops.recipient set is_deleted = true, updated_at = %s where recipient_id = %s",
                     (moment, children[3]))
        # a sex entered against the ID number (repaired in the warehouse: _repair)
        conn.execute(
            "update ops.recipient set sex = case when sex = '1' then '2' else '1' end, updated_at = %s "
            f"where recipient_id = (select recipient_id from ops.recipient where {live} and id_number ~ %s "
            "and sex in ('1', '2') order by md5(recipient_id::text || %s || 'sex') limit 1)",
            (moment, VALID_ID, str(day)),
        )
        conn.execute(
            "update ops.stock_line set quantity = quantity + 1, updated_at = %s where line_id = "
            "(select line_id from ops.stock_line order by md5(line_id::text || %s) limit 1)",
            (moment, str(day)),
        )
        _nasty_stock_day(conn, moment, day)
        _nasty_visit_day(conn, moment, day)
        if day == 2:  # a township merge: a township in use is merged into its neighbour from the next day
            old, new = conn.execute(
                "select a.region_code, b.region_code from ops.region as a join ops.region as b "
                "on a.parent_code = b.parent_code and a.region_code < b.region_code "
                "where a.region_level = 4 and a.valid_to is null and b.valid_to is null "
                "and exists (select 1 from ops.recipient where residence_township_code = a.region_code) "
                "order by a.region_code limit 1"
            ).fetchone()
            (change_id,) = conn.execute("select coalesce(max(change_id), 0) + 1 from ops.township_change").fetchone()
            effective = (moment - timedelta(days=30)).date()
            conn.execute("insert into ops.township_change (change_id, old_code, new_code, change_type, "
                         "effective_date, updated_at) values (%s, %s, %s, 'merge', %s, %s)",
                         (change_id, old, new, effective, moment))
            conn.execute("update ops.region set valid_to = %s, updated_at = %s where region_code = %s",
                         (effective, moment, old))


def _nasty_stock_day(conn, moment, day: int) -> None:
    """Stock edits that break a ledger re-derived from a cutoff date: an old document voided, one re-dated
    a month back, one moved to another unit, an old line moved to another batch and to another document;
    and stocktake records moved to another date and recounted."""
    docs = [row[0] for row in conn.execute(
        "select doc_id from ops.stock_doc where not is_deleted and exists (select 1 from ops.stock_line "
        "where stock_line.doc_id = stock_doc.doc_id) order by md5(doc_id::text || %s) limit 4", (str(day),))]
    voided, redated, moved, target = docs
    conn.execute("update ops.stock_doc set is_deleted = true, updated_at = %s where doc_id = %s", (moment, voided))
    conn.execute("update ops.stock_doc set doc_date = doc_date - 30, updated_at = %s where doc_id = %s",
                 (moment, redated))
    conn.execute("update ops.stock_doc set unit_id = (select other.unit_id from ops.stock_doc as other where "
                 "other.unit_id <> stock_doc.unit_id order by md5(other.doc_id::text || %s) limit 1), "
                 "updated_at = %s where doc_id = %s", (str(day), moment, moved))
    line, batch = conn.execute(
        "select l.line_id, (select b.batch_id from ops.stock_line as b where b.batch_id <> l.batch_id "
        "order by md5(b.line_id::text || %s) limit 1) from ops.stock_line as l "
        "order by md5(l.line_id::text || %s || 'batch') limit 1", (str(day), str(day))).fetchone()
    conn.execute("update ops.stock_line set batch_id = %s, updated_at = %s where line_id = %s", (batch, moment, line))
    conn.execute(
        "update ops.stock_line set doc_id = %s, updated_at = %s where line_id = (select line_id from "
        "ops.stock_line where doc_id <> %s order by md5(line_id::text || %s || 'doc') limit 1)",
        (target, moment, target, str(day)))
    # a stocktake record moved to another date (a count day of its unit appears, another may vanish) and
    # one recounted: the count rows of both days and the book rows beside them are re-derived
    conn.execute("update ops.stock_count set count_date = count_date - 3, updated_at = %s where count_id = "
                 "(select count_id from ops.stock_count order by md5(count_id::text || %s) limit 1)",
                 (moment, str(day)))
    conn.execute("update ops.stock_count set counted_quantity = counted_quantity + 1, updated_at = %s where "
                 "count_id = (select count_id from ops.stock_count order by md5(count_id::text || %s || 'q') "
                 "limit 1)", (moment, str(day)))


def _nasty_visit_day(conn, moment, day: int) -> None:
    """Edits that break a model re-derived by (vaccination date, unit) from its staging sources: the only
    observation of an older visit moved to the day before (the visit it left must lose it), a signed
    registration deleted, and a dose's sign-off moved to another dose."""
    conn.execute(
        "update ops.observation set visit_date = visit_date - 1, updated_at = %s where observation_id = ("
        "select o.observation_id from ops.observation as o where not o.is_deleted and o.visit_date < %s "
        "and exists (select from ops.vaccination as v where not v.is_deleted and v.recipient_id = o.recipient_id "
        "and v.unit_id = o.unit_id and v.vaccinated_at::date = o.visit_date) "
        "and not exists (select from ops.observation as other where other.observation_id <> o.observation_id "
        "and not other.is_deleted and other.recipient_id = o.recipient_id and other.unit_id = o.unit_id "
        "and other.visit_date = o.visit_date) order by md5(o.observation_id::text || %s) limit 1)",
        (moment, moment.date() - timedelta(days=30), str(day)))
    conn.execute(
        "update ops.visit_registration set is_deleted = true, updated_at = %s where registration_id = ("
        "select registration_id from ops.visit_registration where not is_deleted and signed_at is not null "
        "order by md5(registration_id::text || %s) limit 1)", (moment, str(day)))
    conn.execute(
        "update ops.vaccination_sign set vaccination_id = (select vaccination_id from ops.vaccination "
        "where not is_deleted order by md5(vaccination_id::text || %s || 'sign') limit 1), updated_at = %s "
        "where sign_id = (select sign_id from ops.vaccination_sign where not is_deleted "
        "order by md5(sign_id::text || %s) limit 1)", (str(day), moment, str(day)))


def _day(source: PgParams, day: int) -> None:
    simulate_days(source, 1, township_merge_on=date(2026, 11, 2) if day == 2 else None)
    _nasty_day(source, day)


def _flag(warehouse: PgParams, rule_id: str, table: str, query: str) -> None:
    """Stand-in for a check run: the records ``query`` returns are the rule's current anomalies."""
    with connect(warehouse) as conn:
        ensure_schema(conn)
        conn.execute("delete from dq.current_anomaly where rule_id = %s", (rule_id,))
        conn.execute(
            "insert into dq.current_anomaly (rule_id, rule_set_version, rule_name_zh, family, severity, "
            "table_name, row_key, message_zh, run_id) "
            f"select %s, 'test', %s, 'test', 'error', %s, row_key::text, 'test', 0 from ({query}) as flagged",
            (rule_id, rule_id, table),
        )


def _repair(warehouse: PgParams, day: int) -> None:
    """The quality team's repairs after the day's build: applied, undone, applied again."""
    if day == 2:
        service.undo(warehouse, user="质控员乙", rule_id="DOSE_NO_INCREASING")
    if day in (1, 2):
        _flag(warehouse, "DOSE_NO_INCREASING", "vaccination",
              "select vaccination_id as row_key from intermediate.int_vaccinations "
              f"where dose_no is distinct from recomputed_dose_no order by md5(vaccination_id::text || '{day}') "
              "limit 5")
        _flag(warehouse, "ID_SEX", "recipient",
              "select recipient_id as row_key from intermediate.int_recipients_corrected "
              f"where id_number ~ '{VALID_ID}' and sex <> case when strpos('13579', substr(id_number, 17, 1)) > 0 "
              "then '1' else '2' end")
        for rule_id in ("DOSE_NO_INCREASING", "ID_SEX"):
            assert service.apply(warehouse, rule_id, user="质控员甲").count > 0, rule_id
    with connect(warehouse) as conn:  # the stand-ins are no check run's verdict
        conn.execute("delete from dq.current_anomaly where rule_set_version = 'test'")


def _copy_corrections(source: PgParams, target: PgParams) -> None:
    columns = ("table_name, row_key, column_name, old_value, new_value, rule_id, repair_id, is_active, created_by, "
               "supersedes_id")
    with connect(source) as conn:
        rows = conn.execute(f"select {columns} from curated.correction order by correction_id").fetchall()
    with connect(target) as conn:
        ensure_schema(conn)
        with conn.cursor() as cur:
            cur.executemany(f"insert into curated.correction ({columns}) values ({', '.join(['%s'] * 10)})", rows)


def _sums(warehouse: PgParams) -> dict[str, checksums.Checksum]:
    with connect(warehouse) as conn:
        logs = {f"{schema}.{name}" for schema, name in conn.execute(
            "select schemaname, tablename from pg_tables where schemaname = any(%s)", (SCHEMAS,))
            if re.match(EXCLUDED_RELATIONS, f"{schema}.{name}")}
        assert "intermediate.int_stock_ledger_changes" in logs
        return checksums.checksums(conn, SCHEMAS, exclude=logs, exclude_columns=LINEAGE + CHECK_RUN_COLUMNS)


def _check(warehouse: PgParams, load_ids: list[int], label: str) -> checkpoint.CheckRunResult:
    """The pipeline's check run (vaxdw.pipeline.check_quality) on ``load_ids``."""
    return checkpoint.run_checks(warehouse, load_ids, run_label=label, data_docs=False)


def _every_load(warehouse: PgParams) -> list[int]:
    """Every load that brought rows: together the batches of all the warehouse's pipeline runs."""
    with connect(warehouse) as conn:
        return [row[0] for row in conn.execute(
            "select load_id from control.load where status = 'succeeded' and rows_loaded > 0 order by 1")]


def _dq_state(warehouse: PgParams) -> dict[str, Counter]:
    """The rows of DQ_STATE, as multisets (order-independent); the last check run's rows where so marked."""
    with connect(warehouse) as conn:
        (last_run,) = conn.execute("select max(run_id) from dq.check_run").fetchone()
        state = {}
        for relation, excluded, last_run_only in DQ_STATE:
            schema, name = relation.split(".")
            query = sql.SQL("select {} from {}").format(  # as text: hashable (jsonb, arrays)
                sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(column))
                                   for column in checksums.columns(conn, schema, name, excluded)),
                sql.Identifier(schema, name),
            )
            if last_run_only:
                query += sql.SQL(" where run_id = {}").format(last_run)
            state[relation] = Counter(conn.execute(query).fetchall())
    return state


def _multiset_differences(left: dict[str, Counter], right: dict[str, Counter], shown: int = 5) -> dict[str, tuple]:
    """Per key whose multisets differ: a few rows only on the left, a few only on the right."""
    return {
        key: (list((left.get(key, Counter()) - right.get(key, Counter())).elements())[:shown],
              list((right.get(key, Counter()) - left.get(key, Counter())).elements())[:shown])
        for key in sorted(set(left) | set(right))
        if left.get(key) != right.get(key)
    }


def _statement_rows(directory: Path) -> dict[str, Counter]:
    """Every sheet of every statement under ``directory`` (``<file>:<sheet>``) as a multiset of rows."""
    return {
        f"{path.name}:{sheet}": rows
        for path in sorted(directory.glob("*.xlsx"))
        for sheet, rows in checksums.workbook_rows(path, STATEMENT_IGNORED_HEADERS).items()
    }


def _build(warehouse: PgParams, target: Path, *extra: str, project: Path | None = None) -> None:
    """dbt build without its data tests (models and seeds)."""
    run_dbt(warehouse, ["build", "--exclude-resource-type", "test", *extra], project_dir=project,
            target_path=target)


@pytest.fixture(scope="module")
def world(pg_admin, tmp_path_factory):
    source = _fresh_database(pg_admin, "src_incremental")
    daily = _fresh_database(pg_admin, "wh_incremental_daily")
    once = _fresh_database(pg_admin, "wh_incremental_once")
    target = tmp_path_factory.mktemp("dbt-incremental")
    generate(source, scale="tiny", seed=31, children=800)
    load_all(source, daily, pipeline_run_id="day-0")
    result = run_dbt(daily, ["build"], target_path=target / "daily")  # with the data tests, once
    assert result.ok and result.tests_failed == 0
    _check(daily, load_ids_of_run(daily, "day-0"), "day-0")
    for day in (1, 2, 3):
        _day(source, day)
        load_all(source, daily, pipeline_run_id=f"day-{day}")
        _build(daily, target / "daily")
        _check(daily, load_ids_of_run(daily, f"day-{day}"), f"day-{day}")  # the day's batch, as the pipeline
        _repair(daily, day)
    with connect(daily) as conn:
        active, undone = conn.execute("select count(*) filter (where is_active), count(*) filter (where not "
                                      "is_active) from curated.correction").fetchone()
    assert active > 0 and undone > 0
    load_all(source, once, pipeline_run_id="once")
    _copy_corrections(daily, once)
    _build(once, target / "once", "--full-refresh")
    for warehouse in (daily, once):
        _check(warehouse, _every_load(warehouse), "every load")
    return source, daily, once, target


@pytest.fixture(scope="module")
def statements(world, tmp_path_factory):
    """The export step's default statements of both warehouses (vaxdw.pipeline.export_statements: the
    default period, the evaluation date frozen by tests/conftest.py): (daily's directory, once's, period)."""
    _, daily, once, _ = world
    period = default_period(daily)
    assert default_period(once) == period
    out = tmp_path_factory.mktemp("statements")
    for name, warehouse in (("daily", daily), ("once", once)):
        files = write_all(warehouse, out / name, *period)
        assert len({f["path"] for f in files}) == len(list((out / name).glob("*.xlsx")))
    return out / "daily", out / "once", period


def test_incremental_days_equal_one_full_build(world):
    _, daily, once, _ = world
    incremental, full = _sums(daily), _sums(once)
    assert len(full) > 100  # every model, not an empty schema
    assert {name for name in full if name.startswith("staging.stg_ops__")} <= set(incremental)
    assert checksums.differences(incremental, full) == {}


def test_incremental_staging_read_only_the_new_loads(world):
    """The day's build selected only the new raw versions: a raw row loaded twice is staged once, with
    the version of the last load."""
    _, daily, _, _ = world
    with connect(daily) as conn:
        versions, staged = conn.execute(
            "select (select count(*) from raw.vaccination), (select count(*) from staging.stg_ops__vaccination)"
        ).fetchone()
        (stale,) = conn.execute(
            "select count(*) from staging.stg_ops__vaccination as s join (select vaccination_id, max(_load_id) "
            "as last_load from raw.vaccination group by 1) as r using (vaccination_id) where s._load_id <> r.last_load"
        ).fetchone()
    assert versions > staged  # several days of versions in raw
    assert stale == 0


def test_check_runs_find_the_same_anomalies(world):
    """The last check run of each warehouse checked every current record and left the same anomalies."""
    _, daily, once, _ = world
    for warehouse in (daily, once):
        with connect(warehouse) as conn:
            (last_run,) = conn.execute("select max(run_id) from dq.check_run").fetchone()
            results = conn.execute("select table_name, rows_checked, error from dq.check_result where run_id = %s",
                                   (last_run,)).fetchall()
            assert [error for *_, error in results if error] == []
            for table, rows_checked in {(table, rows) for table, rows, _ in results}:  # the batch: the whole table
                count = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", table)))
                assert rows_checked == count.fetchone()[0], table
    incremental, full = _dq_state(daily), _dq_state(once)
    assert len(full["dq.current_anomaly"]) > 50 and len(full["dq.check_result"]) > 20
    assert _multiset_differences(incremental, full) == {}


def test_exported_statements_are_equal(statements):
    """Every sheet of every default statement holds the same cells (less STATEMENT_IGNORED_HEADERS)."""
    daily_dir, once_dir, _ = statements
    incremental = checksums.workbook_checksums(daily_dir, STATEMENT_IGNORED_HEADERS)
    full = checksums.workbook_checksums(once_dir, STATEMENT_IGNORED_HEADERS)
    assert len(full) >= 2 * len(EXPORT_MODULES)  # every statement, not an empty directory
    assert full["异常数据明细.xlsx:异常数据明细"].rows > 50  # the anomalies of the check run are in
    assert not checksums.differences(incremental, full), _multiset_differences(
        _statement_rows(daily_dir), _statement_rows(once_dir))


# The models whose rows follow the evaluation date T (its month's rows end at T; months leave the kept
# window as T moves on; 接种率监测 counts due doses up to T's month), and what reads them.
T_FOLLOWERS = ("int_stock_on_hand+", "int_stock_count_months+", "int_coverage_monthly_cells+",
               "int_cohort_coverage_cells+")


def test_the_evaluation_date_moving_on_and_back(world, tmp_path):
    """T moves on by two months (the month that held T is complete now, the first months kept drop out),
    on and back within that month (T's month is partly updated in place), then back to the frozen date (an
    earlier month: the models rebuild whole): after each move the incremental build of the models that
    follow T equals a full build at the same T."""
    _, daily, once, target = world
    moves = [{"evaluation_date": day} for day in ("2027-01-05", "2027-01-27", "2027-01-13")]
    for vars in (*moves, None):
        run_dbt(daily, ["build", "--exclude-resource-type", "test", "--select", *T_FOLLOWERS],
                target_path=tmp_path / "daily", vars=vars)
        run_dbt(once, ["build", "--exclude-resource-type", "test", "--full-refresh", "--select", *T_FOLLOWERS],
                target_path=target / "once", vars=vars)
        incremental, full = _sums(daily), _sums(once)
        assert full["marts.rpt_stock_indicators"].rows > 100
        assert full["marts.rpt_coverage_monthly"].rows > 100
        assert full["marts.rpt_cohort_coverage"].rows > 100
        assert not checksums.differences(incremental, full), vars


def test_daily_row_tests_read_the_rows_derived_since_the_last_build(world, tmp_path):
    """A daily build's row-wise data tests (macros/tests_on_new_rows.sql) read only the rows whose lineage is
    above the highest load id the last build read (var tested_above_load_id): a broken row derived before
    passes the daily test and fails the full build's, a broken row derived since fails both."""
    _, daily, _, _ = world
    test = ["test", "--select", "not_null_int_vaccinations_category_code"]
    with connect(daily) as conn:
        (newest,) = conn.execute("select max(_derived_load_id) from intermediate.int_vaccinations").fetchone()
        rows = conn.execute(
            "(select vaccination_id, category_code from intermediate.int_vaccinations where _derived_load_id < %s "
            "order by vaccination_id limit 1) union all (select vaccination_id, category_code "
            "from intermediate.int_vaccinations where _derived_load_id = %s order by vaccination_id limit 1)",
            (newest, newest),
        ).fetchall()
    assert len(rows) == 2
    (before, before_code), (since, since_code) = rows
    daily_vars = {"tested_above_load_id": newest - 1}

    def failed(vars) -> int:
        return run_dbt(daily, test, vars=vars, check=False, target_path=tmp_path).tests_failed

    def set_code(vaccination_id, code) -> None:
        with connect(daily) as conn:
            conn.execute("update intermediate.int_vaccinations set category_code = %s where vaccination_id = %s",
                         (code, vaccination_id))

    try:
        set_code(before, None)
        assert (failed(daily_vars), failed(None)) == (0, 1)
        set_code(since, None)
        assert failed(daily_vars) == 1
    finally:
        set_code(before, before_code)
        set_code(since, since_code)


def test_cohort_cells_forgetting_the_due_dates_passed_are_caught(world, tmp_path):
    """Mutant: 乡镇出生队列接种率's cells (int_cohort_coverage_cells, kept by difference) follow the children whose
    records, history or dates changed, but not those whose due date T passed. T moves on (the data do not:
    only T's passing changes the cells); the cells and the view over them must differ from a full build at
    the same T. Both warehouses are then built whole at the frozen T again."""
    _, daily, once, target = world
    project = _mutant_project(tmp_path, "cohort_coverage.sql", r"and child_doses\.due_date <= \{\{ today \}\}",
                              "and false")
    selected = ("--select", "int_cohort_coverage_cells+")
    moved = {"evaluation_date": "2027-01-05"}
    try:
        run_dbt(daily, ["build", "--exclude-resource-type", "test", *selected], project_dir=project,
                target_path=tmp_path / "mutant", vars=moved)
        run_dbt(once, ["build", "--exclude-resource-type", "test", "--full-refresh", *selected],
                target_path=target / "once", vars=moved)
        changed = set(checksums.differences(_sums(daily), _sums(once)))
        assert {"intermediate.int_cohort_coverage_cells", "marts.rpt_cohort_coverage"} <= changed
        assert "marts.fct_child_scheduled_doses" not in changed
    finally:
        for warehouse, path in ((daily, tmp_path / "daily"), (once, target / "once")):
            _build(warehouse, path, "--full-refresh", *selected)


def test_a_check_run_keeping_fixed_anomalies_is_caught(world, statements, tmp_path, monkeypatch):
    """Mutant: a check run that adds and updates current anomalies but never drops any (a check run
    maintains dq.current_anomaly incrementally; a check of an empty state, as in ``once``, drops nothing).
    ``daily`` is given two anomalies that an earlier check run found: on a dose since fixed, and on a dose
    since deleted (no longer in the table). Its check with the mutant keeps both: the current anomalies,
    the anomaly report and both anomaly statements must differ, while the run's own failing rows do not.
    The real check run then drops both."""
    _, daily, once, _ = world
    with connect(daily) as conn:
        stale = conn.execute(
            "insert into dq.current_anomaly (rule_id, rule_set_version, rule_name_zh, family, severity, "
            "table_name, row_key, value, message_zh, run_id) select a.rule_id, a.rule_set_version, "
            "a.rule_name_zh, a.family, a.severity, a.table_name, k.row_key, a.value, a.message_zh, a.run_id "
            "from (select * from dq.current_anomaly where table_name = 'chk_vaccinations' and severity = 'error' "
            "order by rule_id, row_key limit 1) as a, ("
            "  (select v.vaccination_id::text as row_key from marts.chk_vaccinations as v where not exists "
            "  (select from dq.current_anomaly as x where x.row_key = v.vaccination_id::text) order by 1 limit 1) "
            "  union all (select s.vaccination_id::text from staging.stg_ops__vaccination as s where s.is_deleted "
            "  order by 1 limit 1)) as k"
        ).rowcount
    assert stale == 2
    statement, mutated = checkpoint._table_statement, []

    def never_drops(*args, **kwargs) -> str:
        text, count = re.subn(r"WHERE d\.row_key IS NULL AND a\.ctid", "WHERE false AND a.ctid",
                              statement(*args, **kwargs))
        mutated.append(count)
        return text

    try:
        with monkeypatch.context() as patch:
            patch.setattr(checkpoint, "_table_statement", never_drops)
            _check(daily, _every_load(daily), "mutant")
        assert sum(mutated) > 0
        changed = _multiset_differences(_dq_state(daily), _dq_state(once))
        assert set(changed) == {"dq.current_anomaly", "marts.rpt_dq_anomaly", "marts.rpt_dq_upload_blocked"}
        assert (len(changed["dq.current_anomaly"][0]), changed["dq.current_anomaly"][1]) == (2, [])
        assert (len(changed["marts.rpt_dq_anomaly"][0]), changed["marts.rpt_dq_anomaly"][1]) == (1, [])
        _, once_dir, period = statements
        anomaly_exports.default_exports(daily, tmp_path, *period)
        mutant = checksums.workbook_checksums(tmp_path, STATEMENT_IGNORED_HEADERS)
        full = checksums.workbook_checksums(once_dir, STATEMENT_IGNORED_HEADERS)
        assert set(checksums.differences(mutant, {key: full[key] for key in mutant})) == {
            "异常数据明细.xlsx:异常数据明细", "异常数据汇总表_county.xlsx:异常数据汇总"}
    finally:
        _check(daily, _every_load(daily), "every load")  # the real check run
    assert _multiset_differences(_dq_state(daily), _dq_state(once)) == {}


def test_a_loader_not_marking_current_versions_is_caught(world, tmp_path, monkeypatch):
    """Mutant: the loader lands the day's versions but never marks them current (raw._is_current,
    vaxdw.extract_load.current), so staging keeps yesterday's rows. One more day, then the comparison must
    differ in the staging views of the tables the day changed (and the views reading them) and, of the stored
    tables, only in the dose chain's first model (only it is rebuilt, in both warehouses). The daily warehouse's flags are then ranked again for the tests after."""
    source, daily, once, target = world
    _day(source, 4)
    with monkeypatch.context() as patched:
        patched.setattr(current, "mark_current_versions", lambda *args: (0, 0, 0))
        load_all(source, daily, pipeline_run_id="day-4")
    load_all(source, once, pipeline_run_id="once-4")
    selected = ("--select", "int_vaccinations_corrected")
    _build(daily, tmp_path / "mutant", *selected)
    _build(once, target / "once", "--full-refresh", *selected)
    changed = set(checksums.differences(_sums(daily), _sums(once)))
    with connect(daily) as conn:
        stored = {f"{schema}.{name}" for schema, name in conn.execute(
            "select schemaname, tablename from pg_tables where schemaname = any(%s)", (SCHEMAS,))}
    assert "staging.stg_ops__vaccination" in changed
    # of the stored tables only the one rebuilt differs; the others that differ are views reading staging
    assert changed & stored == {"intermediate.int_vaccinations_corrected"}
    with connect(daily) as conn:
        for table in tables():
            current.recompute_current_versions(conn, table)
    _build(daily, tmp_path / "repaired", *selected)
    assert checksums.differences(_sums(daily), _sums(once)) == {}


def test_a_dose_chain_forgetting_the_previous_child_is_caught(world, tmp_path):
    """Mutant: the dose chain re-derives a moved dose's new child but not its previous one. One more day
    (a dose moved again); the chain models must differ (the unique index on vaccination_id may also make
    the mutant's build fail: then its tables stay behind)."""
    source, daily, once, target = world
    project = _mutant_project(tmp_path, "recipient_chain.sql",
                              r"\{%- do branches\.append\(\"select previous_owners\.recipient_id .*?\) %\}", "",
                              flags=re.S)
    _day(source, 5)
    load_all(source, daily, pipeline_run_id="day-5")
    load_all(source, once, pipeline_run_id="once-5")
    selected = ("--select", "stg_ops__recipient", "stg_ops__vaccination", *CHAIN)
    run_dbt(daily, ["build", "--exclude-resource-type", "test", *selected], project_dir=project,
            target_path=tmp_path / "mutant", check=False)
    _build(once, target / "once", "--full-refresh", *selected)
    changed = checksums.differences(_sums(daily), _sums(once))
    assert set(changed) & {f"intermediate.{name}" for name in CHAIN}
    assert not {name for name in changed if name.startswith("staging.")}


def test_a_ledger_follower_ignoring_the_change_log_is_caught(world, tmp_path):
    """Mutant: a model that follows the stock ledger (int_stock_on_hand) reads no changed pair from the
    ledger's change log. One more day; the follower must differ while the ledger stays equal."""
    project = _mutant_project(tmp_path, "stock_ledger.sql", r"where unit_id is not null", "where false")
    selected = ("--select", "stg_ops__stock_doc", "stg_ops__stock_line", "int_stock_ledger", "int_stock_on_hand")
    changed = _mutant_day(world, tmp_path, 6, project, selected)
    assert "intermediate.int_stock_on_hand" in changed
    assert not {name for name in changed if name.startswith("staging.stg_ops__stock")}
    assert "intermediate.int_stock_ledger" not in changed


def test_a_stock_ledger_forgetting_previous_places_is_caught(world, tmp_path):
    """Mutant: the stock ledger re-derives a changed document's lines where they are now but not where they
    were. One more day (a document moved to another unit); the ledger must differ (or the mutant's build
    fails on the unique line_id: then its table stays behind)."""
    source, daily, once, target = world
    project = _mutant_project(tmp_path, "stock_ledger.sql",
                              r"union all\s+select unit_id, batch_id, doc_date\s+from \{\{ this \}\}\s+"
                              r"where doc_id in \(select doc_id from changed_docs\)", "")
    _day(source, 7)
    load_all(source, daily, pipeline_run_id="day-7")
    load_all(source, once, pipeline_run_id="once-7")
    selected = ("--select", "stg_ops__stock_doc", "stg_ops__stock_line", "int_stock_ledger")
    run_dbt(daily, ["build", "--exclude-resource-type", "test", *selected], project_dir=project,
            target_path=tmp_path / "mutant", check=False)
    _build(once, target / "once", "--full-refresh", *selected)
    changed = checksums.differences(_sums(daily), _sums(once))
    assert "intermediate.int_stock_ledger" in changed
    assert not {name for name in changed if name.startswith("staging.stg_ops__stock")}


def test_an_aggregate_forgetting_the_replaced_rows_is_caught(world, tmp_path):
    """Mutant: the coverage cells (int_coverage_monthly_cells, which follow fct_child_scheduled_doses by
    difference) add the rows each build inserted but do not subtract the rows it deleted. ``daily``'s
    chain is first rebuilt whole (the mutants above left it behind), then one more day; the cells and the
    view over them must differ while fct_child_scheduled_doses stays equal."""
    project = _mutant_project(tmp_path, "chain_log.sql", r"where changes\.sign <> 0", "where changes.sign > 0")
    selected = ("--select", "stg_ops__recipient", "stg_ops__vaccination", *CHAIN, "fct_child_scheduled_doses",
                "int_coverage_monthly_cells", "rpt_coverage_monthly")
    changed = _mutant_day(world, tmp_path, 8, project, selected, rebuild_first=True)
    assert {"intermediate.int_coverage_monthly_cells", "marts.rpt_coverage_monthly"} <= set(changed)
    assert "marts.fct_child_scheduled_doses" not in changed


def test_a_follower_forgetting_where_a_record_was_is_caught(world, tmp_path):
    """Mutant: the models re-derived by (vaccination date, unit) read a changed observation's new place but
    not the place where they held it (the place of the version it replaced: raw's superseded versions).
    ``daily``'s observation details are first rebuilt whole, then one more day (the only observation of an
    older visit moved to the day before); the details must differ while the observations in staging stay
    equal."""
    project = _mutant_project(tmp_path, "dose_day_follower.sql", r"where _superseded_load_id > \(select",
                              "where false and _superseded_load_id > (select")
    selected = ("--select", "stg_ops__observation", "int_observation_visits", "rpt_observation_detail")
    changed = _mutant_day(world, tmp_path, 9, project, selected, rebuild_first=True)
    assert {"intermediate.int_observation_visits", "marts.rpt_observation_detail"} <= set(changed)
    assert "staging.stg_ops__observation" not in changed


def test_counts_forgetting_superseded_versions_are_caught(world, tmp_path):
    """Mutant: the counts kept by difference from a staging model (int_stock_doses_given, 出库与接种核对's
    doses) add the day's current versions but do not subtract the versions they superseded
    (raw._superseded_load_id). One more day (a dose deleted, one moved to another child, one edited); the
    counts must differ while the doses in staging stay equal."""
    project = _mutant_project(tmp_path, "counts_by_difference.sql",
                              r"and _superseded_load_id > \(select superseded_above from follow\)", "and false")
    selected = ("--select", "stg_ops__vaccination", "int_stock_doses_given")
    changed = _mutant_day(world, tmp_path, 10, project, selected, rebuild_first=True)
    assert "intermediate.int_stock_doses_given" in changed
    assert "staging.stg_ops__vaccination" not in changed
