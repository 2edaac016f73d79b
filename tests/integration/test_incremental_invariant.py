"""The invariant that makes incremental builds safe: a warehouse that loaded and built incrementally after
every simulated day holds exactly what a warehouse that loaded everything once and built from scratch holds.

Two warehouses read one tiny generated source. ``daily`` loads and runs ``dbt build`` after the generation,
then after each simulated day (``simulate_days``) loads and runs the incremental build; ``once`` loads and
builds (``--full-refresh``) after the last day. The days' builds leave out dbt's data tests (the first
build runs them; they read the models and change nothing). Every staging, intermediate and mart relation must have the same order-independent checksum in both.
Excluded: the lineage columns ``_load_id``/``_loaded_at`` (load ids and times differ by construction: one
warehouse loaded the same rows in more batches) and the build-time columns of vaxdw.checksums.

The days are the simulator's days (births, the day's doses entered on time or late, old doses corrected,
IDs and townships fixed, soft deletes, register moves, a township merge on day 2, stock, visits), plus the
cases that break naive incremental models: a dose soft-deleted, a dose moved to another child, a birth date
corrected (re-classifies the child's doses), a child's township moved, a child soft-deleted, a stock line
corrected, the same dose edited every day, and a township merge dated back before codes already loaded.
Between days the quality team repairs ``daily`` through vaxdw.repair.service (dose numbers and a sex on
day 1, the dose-number repair undone and redone differently on day 2): the next day's incremental build
must follow the corrections. ``once`` gets the same corrections (copied) before its full build.

The test can fail: a mutant staging macro that stops following new loads, and a mutant dose chain that
forgets the previous child of a moved dose, must each be caught.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import _fresh_database
from vaxdw import checksums
from vaxdw.db import PgParams, connect
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.quality.schema import ensure_schema
from vaxdw.repair import service
from vaxdw.settings import get_settings
from vaxdw.simulator import generate
from vaxdw.simulator.days import simulate_days

SCHEMAS = ["staging", "intermediate", "marts"]
LINEAGE = ("_load_id", "_loaded_at", "_derived_load_id")
CHAIN = ("int_recipients_corrected", "int_vaccinations_corrected", "int_doses_classified_by_schedule")
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
    a month back, one moved to another unit, an old line moved to another batch and to another document."""
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
              "select vaccination_id as row_key from intermediate.int_doses_classified_by_schedule "
              f"where dose_no is distinct from recomputed_dose_no order by md5(vaccination_id::text || '{day}') "
              "limit 5")
        _flag(warehouse, "ID_SEX", "recipient",
              "select recipient_id as row_key from intermediate.int_recipients_corrected "
              f"where id_number ~ '{VALID_ID}' and sex <> case when strpos('13579', substr(id_number, 17, 1)) > 0 "
              "then '1' else '2' end")
        for rule_id in ("DOSE_NO_INCREASING", "ID_SEX"):
            assert service.apply(warehouse, rule_id, user="质控员甲").count > 0, rule_id
    with connect(warehouse) as conn:  # the check run's state is not part of the comparison
        conn.execute("delete from dq.current_anomaly")


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
        return checksums.checksums(conn, SCHEMAS, exclude_columns=LINEAGE)


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
    for day in (1, 2, 3):
        _day(source, day)
        load_all(source, daily, pipeline_run_id=f"day-{day}")
        _build(daily, target / "daily")
        _repair(daily, day)
    with connect(daily) as conn:
        active, undone = conn.execute("select count(*) filter (where is_active), count(*) filter (where not "
                                      "is_active) from curated.correction").fetchone()
    assert active > 0 and undone > 0
    load_all(source, once, pipeline_run_id="once")
    _copy_corrections(daily, once)
    _build(once, target / "once", "--full-refresh")
    return source, daily, once, target


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


def test_a_broken_incremental_model_is_caught(world, tmp_path):
    """Mutant: the staging macro stops reading new loads. One more day, then the comparison must differ
    (only the mutated model and the ones reading it are rebuilt, in both warehouses)."""
    source, daily, once, target = world
    project = _mutant_project(tmp_path, "latest_version.sql", r"loaded_after=highest_load_id\(this\)",
                              "loaded_after='(select 2^62)'")
    _day(source, 4)
    load_all(source, daily, pipeline_run_id="day-4")
    load_all(source, once, pipeline_run_id="once-4")
    selected = ("--select", "stg_ops__vaccination", "int_vaccinations_corrected")
    _build(daily, tmp_path / "mutant", *selected, project=project)
    _build(once, target / "once", "--full-refresh", *selected)
    changed = checksums.differences(_sums(daily), _sums(once))
    assert set(changed) == {"staging.stg_ops__vaccination", "intermediate.int_vaccinations_corrected"}


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


def test_a_stock_ledger_forgetting_previous_places_is_caught(world, tmp_path):
    """Mutant: the stock ledger re-derives a changed document's lines where they are now but not where they
    were. One more day (a document moved to another unit); the ledger must differ (or the mutant's build
    fails on the unique line_id: then its table stays behind)."""
    source, daily, once, target = world
    project = _mutant_project(tmp_path, "stock_ledger.sql",
                              r"union all\s+select unit_id, batch_id, doc_date\s+from \{\{ this \}\}\s+"
                              r"where doc_id in \(select doc_id from changed_docs\)", "")
    _day(source, 6)
    load_all(source, daily, pipeline_run_id="day-6")
    load_all(source, once, pipeline_run_id="once-6")
    selected = ("--select", "stg_ops__stock_doc", "stg_ops__stock_line", "int_stock_ledger")
    run_dbt(daily, ["build", "--exclude-resource-type", "test", *selected], project_dir=project,
            target_path=tmp_path / "mutant", check=False)
    _build(once, target / "once", "--full-refresh", *selected)
    changed = checksums.differences(_sums(daily), _sums(once))
    assert "intermediate.int_stock_ledger" in changed
    assert not {name for name in changed if name.startswith("staging.stg_ops__stock")}
