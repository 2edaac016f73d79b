"""run_checks on a real PostgreSQL: only the new batch's bad rows are reported, with their keys."""

from __future__ import annotations

import datetime as dt

import pytest

from vaxdw.db import PgParams, connect
from vaxdw.quality.checkpoint import run_checks as _run_checks

ON = dt.date(2025, 6, 1)  # rule set 2024.1 (the ID and time-order rules on the mart tables)


def run_checks(*args, **kwargs):
    kwargs.setdefault("on", ON)
    return _run_checks(*args, **kwargs)

MARTS_DDL = """
create schema if not exists marts;
create table marts.dim_recipients (
    recipient_id bigint, recipient_name text, sex varchar(1), birth_at timestamp, birth_date date,
    id_number varchar(18), mother_name text, mother_hbsag varchar(1), managing_unit_id text,
    register_status smallint, _load_id bigint);
create table marts.fct_vaccinations (
    vaccination_id bigint, recipient_id bigint, vaccine_code varchar(4), dose_no smallint,
    vaccinated_at timestamp, vaccination_date date, entered_at timestamp, uploaded_at timestamp,
    birth_at timestamp, unit_id text, manufacturer_code text, batch_no text, expiry_date date,
    _load_id bigint);
"""

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(birth: dt.date, seq: int, sex: str, area: str = "610102") -> str:
    """A valid 18-digit ID; sex '1' gives an odd 17th digit, '2' an even one."""
    seq = seq % 500 * 2 + (1 if sex == "1" else 0)  # 3-digit sequence with the right parity
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


def bad_check(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


# The not-in-the-future rules compare with the database's real now(): these rows are later than any test run;
# every other row is in the past (2023-2024).
FUTURE = dt.datetime(2099, 3, 1, 8, 30)
BIRTH = dt.datetime(2023, 3, 1, 8, 30)


def recipient(rid, load, id_number, sex="1", birth=BIRTH):
    return (rid, f"受种者{rid}", sex, birth, birth.date(), id_number, "母亲", "2", "610102001", 1, load)


def vaccination(vid, load, vaccinated_at, entered_at=None, uploaded_at=None, birth=BIRTH,
                expiry=dt.date(2030, 1, 1)):
    entered_at = entered_at or vaccinated_at + dt.timedelta(minutes=5)
    return (vid, 1, "0101", 1, vaccinated_at, vaccinated_at.date(), entered_at, uploaded_at, birth,
            "610102001", "01", "B001", expiry, load)


def good_id(rid, sex="1"):
    return make_id(BIRTH.date(), rid, sex)


V = dt.datetime(2024, 5, 1, 9, 0)
N_BULK = 250  # more than GX's 200-row cap on returned rows


def seed(wh: PgParams) -> None:
    recipients = [
        # load 1: one good, one bad check digit (must not be reported for load 2)
        recipient(1, 1, good_id(1)),
        recipient(2, 1, bad_check(good_id(2))),
        # load 2
        recipient(11, 2, good_id(11)),
        recipient(12, 2, bad_check(good_id(12))),               # ID_CHECK_DIGIT
        recipient(13, 2, "61010220230301"),                     # ID_FORMAT (too short)
        recipient(14, 2, make_id(dt.date(2023, 3, 2), 14, "1")),  # ID_BIRTH_DATE
        recipient(15, 2, good_id(15, sex="2"), sex="1"),        # ID_SEX
        recipient(16, 2, None),                                 # null ID: no ID rule applies
        recipient(17, 2, good_id(17, "2")[:-1] + "x", sex="2"),  # ID_FORMAT (lower-case x)
        recipient(18, 2, good_id(18, "2"), sex="2"),            # good, female
        recipient(19, 2, None, birth=FUTURE),                  # BIRTH_NOT_FUTURE
    ]
    # rows whose check char is 'X' (S mod 11 = 2) must pass
    x_ids = [make_id(BIRTH.date(), s, "1") for s in range(200)]
    x_ids = [i for i in x_ids if i.endswith("X")][:3]
    assert x_ids
    recipients += [recipient(30 + n, 2, i) for n, i in enumerate(x_ids)]
    recipients += [recipient(1000 + n, 2, bad_check(good_id(n))) for n in range(N_BULK)]

    vaccinations = [
        vaccination(1, 1, V),
        vaccination(2, 1, BIRTH - dt.timedelta(days=1)),                         # load 1 only
        vaccination(11, 2, V, uploaded_at=V + dt.timedelta(hours=1)),
        vaccination(12, 2, BIRTH - dt.timedelta(hours=2)),                       # VAX_AFTER_BIRTH
        vaccination(13, 2, V, entered_at=V - dt.timedelta(minutes=1)),           # ENTRY_AFTER_VAX
        vaccination(14, 2, V, uploaded_at=V),                                    # UPLOAD_AFTER_ENTRY
        vaccination(15, 2, V, uploaded_at=None),                                 # not uploaded: fine
        vaccination(16, 2, FUTURE, expiry=dt.date(2100, 1, 1)),                  # VAX_TIMES_NOT_FUTURE
        vaccination(17, 2, V, expiry=dt.date(2024, 4, 30)),                      # EXPIRY_NOT_BEFORE_VAX
        vaccination(18, 2, BIRTH, entered_at=BIRTH),                             # equal times: fine
    ]
    vaccinations += [vaccination(1000 + n, 2, BIRTH - dt.timedelta(days=1)) for n in range(N_BULK)]

    with connect(wh) as conn:
        conn.execute(MARTS_DDL)
        with conn.cursor() as cur:
            cur.executemany(f"insert into marts.dim_recipients values ({', '.join(['%s'] * 11)})", recipients)
            cur.executemany(f"insert into marts.fct_vaccinations values ({', '.join(['%s'] * 14)})", vaccinations)


EXPECTED_LOAD2 = {
    "ID_CHECK_DIGIT": {"12"} | {str(1000 + n) for n in range(N_BULK)},
    "ID_FORMAT": {"13", "17"},
    "ID_BIRTH_DATE": {"14"},
    "ID_SEX": {"15"},
    "BIRTH_NOT_FUTURE": {"19"},
    "VAX_AFTER_BIRTH": {"12"} | {str(1000 + n) for n in range(N_BULK)},
    "ENTRY_AFTER_VAX": {"13"},
    "UPLOAD_AFTER_ENTRY": {"14"},
    "VAX_TIMES_NOT_FUTURE": {"16"},
    "EXPIRY_NOT_BEFORE_VAX": {"17"},
}


def failed_keys(wh: PgParams, run_id: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with connect(wh) as conn:
        for rule_id, key in conn.execute(
            "select rule_id, row_key from dq.failed_row where run_id = %s", (run_id,)
        ):
            out.setdefault(rule_id, set()).add(key)
    return out


@pytest.fixture
def warehouse(fresh_dbs) -> PgParams:
    _, wh = fresh_dbs
    seed(wh)
    return wh


def test_new_batch_only_all_failing_keys(warehouse: PgParams, tmp_path) -> None:
    result = run_checks(warehouse, [2], run_label="test-load-2", data_docs_dir=tmp_path / "docs")

    assert result.status == "failed"
    assert failed_keys(warehouse, result.run_id) == EXPECTED_LOAD2
    assert result.counts == {rule: len(keys) for rule, keys in EXPECTED_LOAD2.items()}
    assert all(o.error is None for o in result.rules), result.as_text()
    by_rule = {o.rule_id: o for o in result.rules}
    n_recipients = 12 + N_BULK  # load 2 rows only
    assert by_rule["ID_FORMAT"].rows_checked == n_recipients
    assert by_rule["VAX_AFTER_BIRTH"].rows_checked == 8 + N_BULK
    assert by_rule["UPLOAD_AFTER_ENTRY"].severity == "warn"
    text = result.as_text()
    assert "ID_CHECK_DIGIT" in text and "FAILED" in text

    with connect(warehouse) as conn:
        run = conn.execute(
            "select status, load_ids, label, rule_set_version, finished_at is not null "
            "from dq.check_run where run_id = %s", (result.run_id,)
        ).fetchone()
        assert run == ("failed", [2], "test-load-2", result.rule_set_version, True)
        assert conn.execute("select count(*) from dq.check_result where run_id = %s",
                            (result.run_id,)).fetchone()[0] == len(EXPECTED_LOAD2)
        value, message = conn.execute(
            "select value, message_zh from dq.failed_row where run_id = %s and rule_id = 'ENTRY_AFTER_VAX'",
            (result.run_id,),
        ).fetchone()
        assert "entered_at=2024-05-01 08:59:00" in value and "vaccinated_at=2024-05-01 09:00:00" in value
        assert message == "录入时间早于接种时间"
        value = conn.execute(
            "select value from dq.failed_row where run_id = %s and rule_id = 'ID_CHECK_DIGIT' and row_key = '12'",
            (result.run_id,),
        ).fetchone()[0]
        assert value == bad_check(good_id(12))
        assert conn.execute("select count(*) from dq.rule").fetchone()[0] == len(EXPECTED_LOAD2)
    assert (tmp_path / "docs" / "index.html").exists()


def test_second_run_keeps_first_run(warehouse: PgParams) -> None:
    first = run_checks(warehouse, [2], run_label="first", data_docs=False)
    second = run_checks(warehouse, [1], run_label="second", data_docs=False)
    assert second.run_id != first.run_id

    assert failed_keys(warehouse, first.run_id) == EXPECTED_LOAD2
    assert failed_keys(warehouse, second.run_id) == {"ID_CHECK_DIGIT": {"2"}, "VAX_AFTER_BIRTH": {"2"}}
    with connect(warehouse) as conn:
        statuses = conn.execute("select run_id, status from dq.check_run order by run_id").fetchall()
    assert statuses == [(first.run_id, "failed"), (second.run_id, "failed")]


def test_clean_and_empty_batches_pass(warehouse: PgParams) -> None:
    with connect(warehouse) as conn:
        conn.execute("insert into marts.dim_recipients select * from marts.dim_recipients where recipient_id = 11")
        conn.execute("update marts.dim_recipients set _load_id = 3 where ctid = (select max(ctid) from marts.dim_recipients)")
    clean = run_checks(warehouse, [3], data_docs=False)
    assert clean.status == "passed"
    assert sum(clean.counts.values()) == 0
    assert {o.rows_checked for o in clean.rules if o.table_name == "dim_recipients"} == {1}
    empty = run_checks(warehouse, [], data_docs=False)
    assert empty.status == "passed" and empty.load_ids == []


def current_anomalies(wh: PgParams) -> dict[tuple[str, str], tuple]:
    """(rule_id, row_key) -> (run_id, value, rule_set_version) of dq.current_anomaly."""
    with connect(wh) as conn:
        return {(rule, key): tuple(rest) for rule, key, *rest in conn.execute(
            "select rule_id, row_key, run_id, value, rule_set_version from dq.current_anomaly")}


def expected_current(*expected: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(rule, key) for keys_by_rule in expected for rule, keys in keys_by_rule.items() for key in keys}


def test_current_anomalies_follow_the_latest_check_of_each_record(warehouse: PgParams) -> None:
    """dq.current_anomaly (written in the same statements as dq.failed_row): a re-check keeps anomalies
    found again (with the run that first found them), updates a changed value, drops what a record no
    longer breaks, and leaves records outside the checked batch alone."""
    first = run_checks(warehouse, [2], run_label="first", data_docs=False)
    assert set(current_anomalies(warehouse)) == expected_current(EXPECTED_LOAD2)
    load1 = run_checks(warehouse, [1], run_label="load 1", data_docs=False)
    load1_keys = {"ID_CHECK_DIGIT": {"2"}, "VAX_AFTER_BIRTH": {"2"}}
    assert set(current_anomalies(warehouse)) == expected_current(EXPECTED_LOAD2, load1_keys)

    with connect(warehouse) as conn:  # fix recipient 12's ID and the entry time of dose 13; change 15's ID
        conn.execute("update marts.dim_recipients set id_number = %s where recipient_id = 12", (good_id(12),))
        conn.execute("update marts.fct_vaccinations set entered_at = vaccinated_at where vaccination_id = 13")
        conn.execute("update marts.dim_recipients set id_number = %s where recipient_id = 15", (good_id(115, "2"),))
    again = run_checks(warehouse, [2], run_label="re-check", data_docs=False)
    assert all(o.error is None for o in again.rules), again.as_text()
    expected = {rule: set(keys) for rule, keys in EXPECTED_LOAD2.items()}
    expected["ID_CHECK_DIGIT"].discard("12")
    expected["ENTRY_AFTER_VAX"].discard("13")
    del expected["ENTRY_AFTER_VAX"]
    current = current_anomalies(warehouse)
    assert set(current) == expected_current(expected, load1_keys)
    assert failed_keys(warehouse, again.run_id) == expected  # the run's own record of its failing rows
    # found again: still the first run's anomaly; changed value: updated, first run kept; load 1 untouched
    assert current[("ID_FORMAT", "13")][0] == first.run_id
    assert current[("ID_SEX", "15")] == (first.run_id, f"{good_id(115, '2')} / 1", first.rule_set_version)
    assert current[("ID_CHECK_DIGIT", "2")][0] == load1.run_id

    # a repaired record queued for re-validation is re-checked alone (no load): its anomaly goes
    with connect(warehouse) as conn:
        conn.execute("update marts.dim_recipients set sex = '2' where recipient_id = 15")
        conn.execute("insert into dq.recheck_queue (key_column, row_key) values ('recipient_id', '15')")
    recheck = run_checks(warehouse, [], run_label="recheck", data_docs=False)
    assert recheck.rechecked == 1
    assert set(current_anomalies(warehouse)) == expected_current(
        {rule: keys for rule, keys in expected.items() if rule != "ID_SEX"}, load1_keys)


def test_anomalies_of_records_gone_from_the_table_are_dropped(warehouse: PgParams) -> None:
    """A record that leaves the checked table (a deleted dose, the doses of a deleted recipient) is in no
    later batch: the next check run drops its anomalies all the same (a check of the whole table would not
    find them), and leaves those of the records still there outside its batch alone."""
    run_checks(warehouse, [2], run_label="first", data_docs=False)
    with connect(warehouse) as conn:
        conn.execute("delete from marts.dim_recipients where recipient_id = 12")
        conn.execute("delete from marts.fct_vaccinations where vaccination_id = 13")
    run_checks(warehouse, [1], run_label="load 1", data_docs=False)
    expected = {rule: set(keys) for rule, keys in EXPECTED_LOAD2.items()}
    expected["ID_CHECK_DIGIT"].discard("12")  # recipient 12 (dose 12's VAX_AFTER_BIRTH stays)
    del expected["ENTRY_AFTER_VAX"]  # dose 13 only
    load1_keys = {"ID_CHECK_DIGIT": {"2"}, "VAX_AFTER_BIRTH": {"2"}}
    assert set(current_anomalies(warehouse)) == expected_current(expected, load1_keys)
