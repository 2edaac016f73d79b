"""Hand-made raw rows for the dbt tests: a tiny county with township merges and a split, a few
children and doses chosen to hit each schedule rule, plus injected faults.

Rows go straight into ``raw.*`` (created from the contract DDL), as the loader would land them:
every version of a row, with ``_load_id``.
"""

from __future__ import annotations

from datetime import date, datetime

from vaxdw.contract import tables
from vaxdw.db import PgParams, connect
from vaxdw.extract_load.current import recompute_current_versions

T0 = datetime(2020, 1, 1, 0, 0)
T1 = datetime(2024, 6, 1, 0, 0)

REGIONS = [
    # region_code, name, level, parent, valid_from, valid_to
    ("610000", "陕西省", 1, None, None, None),
    ("610100", "西安市", 2, "610000", None, None),
    ("610102", "新城区", 3, "610100", None, None),
    ("610102001", "甲镇", 4, "610102", None, date(2020, 1, 1)),
    ("610102002", "乙镇", 4, "610102", None, date(2020, 1, 1)),
    ("610102003", "甲乙镇", 4, "610102", date(2020, 1, 1), date(2023, 1, 1)),
    ("610102004", "新甲乙街道", 4, "610102", date(2023, 1, 1), None),
    ("610102005", "未来街道", 4, "610102", date(2099, 1, 1), None),
    ("610102006", "丙镇", 4, "610102", None, date(2021, 6, 1)),
    ("610102007", "丙东街道", 4, "610102", date(2021, 6, 1), None),
    ("610102008", "丙西街道", 4, "610102", date(2021, 6, 1), None),
]

TOWNSHIP_CHANGES = [
    # change_id, old, new, type, effective
    (1, "610102001", "610102003", "merge", date(2020, 1, 1)),
    (2, "610102002", "610102003", "merge", date(2020, 1, 1)),
    (3, "610102003", "610102004", "rename", date(2023, 1, 1)),
    (4, "610102004", "610102005", "rename", date(2099, 1, 1)),  # in the future: not applied
    (10, "610102006", "610102007", "split", date(2021, 6, 1)),
    (11, "610102006", "610102008", "split", date(2021, 6, 1)),
]

UNITS = [
    # unit_id, name, type, township, county, parent
    ("6101000000", "西安市疾控中心", "cdc", None, "610100", None),
    ("6101020101", "甲镇接种门诊", "clinic", "610102001", "610102", "6101000000"),  # old code
    ("6101020701", "丙东接种门诊", "clinic", "610102007", "610102", "6101000000"),
]
CLINIC_A, CLINIC_B = "6101020101", "6101020701"

VACCINES = [
    # code, name, abbr, category, is_nip
    ("0202", "重组乙肝疫苗(酵母)", "HepB", "02", True),
    ("0402", "无细胞百白破疫苗", "DTaP", "04", True),
    ("1201", "麻腮风疫苗", "MMR", "12", True),
    ("2201", "水痘疫苗", "Var", "22", False),
    ("3901", "乙型肝炎人免疫球蛋白", "HBIG", "39", False),
]

MANUFACTURERS = [("M01", "甲生物"), ("M02", "乙生物")]

RECIPIENTS = [
    # id, name, sex, birth_at, household_township, residence_township, register_status, is_deleted
    (1, "张一", "1", datetime(2024, 1, 10, 8, 0), "610102001", "610102004", 1, False),
    (2, "李二", "2", datetime(2024, 1, 10, 20, 0), "610102004", "610102004", 1, False),
    (3, "王三", "1", datetime(2025, 3, 1, 9, 0), "610102007", "610102007", 10, False),
    (4, "赵四", "2", datetime(2024, 2, 1, 9, 0), "610102006", "610102002", 9, False),
    (5, "钱五", "1", datetime(2024, 1, 5, 9, 0), "610102004", "610102004", 1, True),  # deleted
    (6, "孙六", "2", datetime(2024, 1, 5, 9, 0), "610102004", "610102004", 5, False),  # status 5
]

# vaccination_id, recipient, vaccine, dose_no, vaccinated_at, unit, manufacturer, is_deleted
VACCINATIONS = [
    (101, 1, "0202", 1, datetime(2024, 1, 11, 6, 0), CLINIC_A, "M01", False),  # HepB1 22 h: timely
    (102, 1, "0202", 2, datetime(2024, 2, 10, 9, 0), CLINIC_A, "M01", False),  # 1 month exactly: timely
    (103, 1, "0202", 3, datetime(2025, 3, 1, 9, 0), CLINIC_A, "M02", False),  # after 12 months: late
    (104, 1, "0402", 1, datetime(2024, 3, 1, 9, 0), CLINIC_A, "M01", False),  # before 3 months: early
    (105, 1, "3901", 1, datetime(2024, 1, 10, 10, 0), CLINIC_A, "M02", False),  # HBIG: unscheduled
    (106, 1, "0202", 2, datetime(2024, 2, 1, 9, 0), CLINIC_A, "M01", True),  # deleted dose
    (201, 2, "0202", 1, datetime(2024, 1, 11, 21, 0), CLINIC_A, "M01", False),  # 25 h: late
    (202, 2, "1201", 2, datetime(2024, 9, 15, 9, 0), CLINIC_B, "M01", False),  # recorded 2, really 1
    (203, 2, "2201", 1, datetime(2024, 10, 1, 9, 0), CLINIC_B, "M02", False),  # non-NIP: unscheduled
    (204, 2, "2201", 1, datetime(2024, 10, 1, 9, 30), CLINIC_B, "M02", False),  # duplicate entry
    (301, 3, "0402", 1, datetime(2025, 5, 5, 9, 0), CLINIC_B, "M01", False),  # 2025 schedule: 2 months
    (401, 4, "0202", 1, datetime(2023, 12, 1, 9, 0), CLINIC_B, "M01", False),  # before birth: early
    (402, 4, "9998", 1, datetime(2024, 6, 1, 9, 0), CLINIC_B, "M99", False),  # unknown vaccine, manuf.
    (403, 4, "1201", None, datetime(2024, 10, 2, 9, 0), "9999999999", "M01", False),  # no dose_no, unknown unit
    (501, 5, "0202", 1, datetime(2024, 1, 6, 9, 0), CLINIC_A, "M01", False),  # deleted recipient
    (601, 6, "0202", 1, datetime(2024, 1, 6, 9, 0), CLINIC_A, "M01", False),  # register status 5
]

# Expected per vaccination_id: (schedule_class, recomputed_dose_no, is_dose_no_mismatch)
EXPECTED_CLASSES = {
    101: ("timely", 1, False),
    102: ("timely", 2, False),
    103: ("late", 3, False),
    104: ("early", 1, False),
    105: ("unscheduled", 1, False),
    201: ("late", 1, False),
    202: ("timely", 1, True),
    203: ("unscheduled", 1, False),
    204: ("unscheduled", 2, True),
    301: ("timely", 1, False),
    401: ("early", 1, False),
    402: ("unscheduled", 1, False),
    403: ("timely", 1, True),
}


def _insert(conn, table: str, columns: list[str], rows: list[tuple]) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cursor:
        cursor.executemany(
            f"insert into raw.{table} ({', '.join(columns)}) values ({placeholders})", rows
        )


def create_raw_tables(warehouse: PgParams) -> None:
    with connect(warehouse) as conn:
        conn.execute("create schema if not exists raw")
        for table in tables():
            conn.execute(table.raw_ddl())
            conn.execute(table.current_index_ddl())


def insert_rows(warehouse: PgParams) -> None:
    """Land the hand-made rows in raw: load 1 has every row, load 2 has later versions of some."""
    with connect(warehouse) as conn:
        _insert(
            conn,
            "region",
            ["region_code", "region_name", "region_level", "parent_code", "valid_from", "valid_to",
             "updated_at", "_load_id"],
            [(*row, T0, 1) for row in REGIONS]
            # a later version renames the rename target (latest version wins)
            + [("610102004", "新甲乙街道办", 4, "610102", date(2023, 1, 1), None, T1, 2)],
        )
        _insert(
            conn,
            "township_change",
            ["change_id", "old_code", "new_code", "change_type", "effective_date", "updated_at", "_load_id"],
            [(*row, T0, 1) for row in TOWNSHIP_CHANGES],
        )
        _insert(
            conn,
            "unit",
            ["unit_id", "unit_name", "unit_type", "township_code", "county_code", "parent_unit_id",
             "is_active", "created_at", "updated_at", "_load_id"],
            [(*row, True, T0, T0, 1) for row in UNITS],
        )
        _insert(
            conn,
            "vaccine",
            ["vaccine_code", "vaccine_name", "vaccine_abbr", "category_code", "is_nip", "updated_at", "_load_id"],
            [(*row, T0, 1) for row in VACCINES],
        )
        _insert(
            conn,
            "manufacturer",
            ["manufacturer_code", "manufacturer_name", "updated_at", "_load_id"],
            [(*row, T0, 1) for row in MANUFACTURERS],
        )
        recipient_rows = [
            (rid, name, sex, birth, f"61010220240101{rid:04d}", household, residence, True, CLINIC_A,
             status, deleted, T0, T0, 1)
            for rid, name, sex, birth, household, residence, status, deleted in RECIPIENTS
        ]
        # duplicate version in the same load and an older version in a later load (updated_at decides)
        recipient_rows.append(
            (2, "李二旧", "2", datetime(2024, 1, 10, 20, 0), "610102202401100002", "610102004", "610102004", True, CLINIC_A,
             2, False, T0, datetime(2019, 1, 1), 2)
        )
        _insert(
            conn,
            "recipient",
            ["recipient_id", "recipient_name", "sex", "birth_at", "id_number", "household_township_code",
             "residence_township_code", "is_local", "managing_unit_id", "register_status", "is_deleted",
             "created_at", "updated_at", "_load_id"],
            recipient_rows,
        )
        vaccination_rows = [
            (vid, rid, code, dose, at, unit, manuf, f"B{vid}", "2026-12-31", deleted, at, at, at, at, 1)
            for vid, rid, code, dose, at, unit, manuf, deleted in VACCINATIONS
        ]
        # load 2: a corrected version of dose 101 (new batch number); same key, later updated_at
        vid, rid, code, dose, at, unit, manuf, deleted = VACCINATIONS[0]
        vaccination_rows.append(
            (vid, rid, code, dose, at, unit, manuf, "B101-fixed", "2026-12-31", deleted, at, at, at, T1, 2)
        )
        _insert(
            conn,
            "vaccination",
            ["vaccination_id", "recipient_id", "vaccine_code", "dose_no", "vaccinated_at", "unit_id",
             "manufacturer_code", "batch_no", "expiry_date", "is_deleted", "entered_at", "uploaded_at",
             "created_at", "updated_at", "_load_id"],
            vaccination_rows,
        )
        for table in tables():  # landed by hand: mark the current versions as the loader would
            recompute_current_versions(conn, table)


def countable_vaccinations() -> list[tuple]:
    """VACCINATIONS that the marts keep: dose and recipient not deleted, register status not 5."""
    kept = {rid for rid, _n, _s, _b, _h, _r, status, deleted in RECIPIENTS if not deleted and status != 5}
    return [row for row in VACCINATIONS if not row[7] and row[1] in kept]
