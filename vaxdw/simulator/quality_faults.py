"""Faults injected after the rows are written, by SQL over the source tables (deterministic).

These fault types need a look at other rows (the previous dose of a category, an earlier staff
record) or are simplest as an update: each picks rows by a hash of (seed, fault type, key) below
the rate, skips rows that already carry a fault (so every manifest row has one cause), changes
them without touching ``updated_at``, and records them in ``sim.injected_fault``.
"""

from __future__ import annotations

from vaxdw import idcard
from vaxdw.db import PgParams, connect
from vaxdw.simulator.faults import FAULT_TYPES, MANIFEST_SCHEMA, MANIFEST_TABLE

SCALE = 1 << 28
MANIFEST = f"{MANIFEST_SCHEMA}.{MANIFEST_TABLE}"
# An address code that is no region of Shaanxi (61 99 xx: no such city).
BAD_ADDRESS_PREFIX = "6199"


def _picked(key_sql: str, fault_type: str, seed: int, rate: float) -> str:
    threshold = int(rate * SCALE)
    return (
        f"(('x' || substr(md5('{int(seed)}:{fault_type}:' || {key_sql}::text), 1, 7))::bit(28)::int "
        f"< {threshold})"
    )


def _not_faulted(table: str, key_sql: str) -> str:
    return f"not exists (select 1 from {MANIFEST} m where m.table_name = '{table}' and m.row_key = {key_sql}::text)"


def _record(conn, fault_type: str, rows: list[tuple[str, str]]) -> int:
    fault = FAULT_TYPES[fault_type]
    next_id = conn.execute(f"select coalesce(max(fault_id), 0) + 1 from {MANIFEST}").fetchone()[0]
    with conn.cursor() as cur:
        cur.executemany(
            f"insert into {MANIFEST} values (%s, %s, %s, %s, %s, %s)",
            [(next_id + i, fault_type, fault.table, key, fault.column, detail) for i, (key, detail) in enumerate(rows)],
        )
    return len(rows)


def inject(params: PgParams, seed: int, rates: dict[str, float]) -> dict[str, int]:
    """Inject the SQL-level fault types into ``ops`` and the manifest; return counts per type."""
    with connect(params) as conn:
        return inject_into(conn, seed, rates)


def inject_into(conn, seed: int, rates: dict[str, float], since: dict[str, int] | None = None) -> dict[str, int]:
    """``inject`` inside an open transaction. ``since``: only rows with keys from these values on
    ({"recipient": first new recipient_id, "vaccination": first new vaccination_id}; staff untouched),
    as the daily simulation adds them."""
    counts: dict[str, int] = {}
    new_recipients = f"r.recipient_id >= {int(since['recipient'])}" if since else "true"
    new_doses = f"v.vaccination_id >= {int(since['vaccination'])}" if since else "true"
    q = conn.execute
    # The recipients of duplicate pairs keep their names (the duplicate rule compares them).
    dup_keys = (
        "(select row_key from sim.injected_fault where fault_type = 'duplicate_recipient' "
        "union select substring(detail from 'duplicate of recipient ([0-9]+)') from sim.injected_fault "
        "where fault_type = 'duplicate_recipient')"
    )

    rows = q(
        f"""update ops.recipient r set recipient_name = case when r.recipient_id % 2 = 0
                then ' ' || r.recipient_name else left(r.recipient_name, 1) || '  ' || substr(r.recipient_name, 2) end
            where {_picked('r.recipient_id', 'untrimmed_name', seed, rates['untrimmed_name'])}
              and {new_recipients}
              and {_not_faulted('recipient', 'r.recipient_id')}
              and r.recipient_id::text not in {dup_keys}
            returning r.recipient_id::text, '[' || r.recipient_name || ']'"""
    ).fetchall()
    counts["untrimmed_name"] = _record(conn, "untrimmed_name", rows)

    candidates = q(
        f"""select r.recipient_id, r.id_number from ops.recipient r
            where r.id_number is not null and {new_recipients}
              and {_picked('r.recipient_id', 'bad_id_address', seed, rates['bad_id_address'])}
              and {_not_faulted('recipient', 'r.recipient_id')}
              and r.recipient_id::text not in {dup_keys}
              and r.id_number not in (select id_number from ops.recipient d
                  where d.recipient_id::text in {dup_keys} and d.id_number is not null)
            order by r.recipient_id"""
    ).fetchall()
    rows = []
    for recipient_id, id_number in candidates:
        body = BAD_ADDRESS_PREFIX + id_number[4:17]
        new = body + idcard.check_digit(body)
        q("update ops.recipient set id_number = %s where recipient_id = %s", (new, recipient_id))
        rows.append((str(recipient_id), f"{id_number} -> {new}"))
    counts["bad_id_address"] = _record(conn, "bad_id_address", rows)

    rows = [] if since else q(
        f"""with ordered as (
                select staff_id, id_number, sex,
                    row_number() over (partition by sex order by created_at, staff_id) as n
                from ops.staff where not is_deleted and id_number is not null),
            picked as (
                select later.staff_id, earlier.staff_id as original_id, earlier.id_number
                from ordered later
                join ordered earlier on earlier.sex is not distinct from later.sex and earlier.n = later.n - 1
                where {_picked('later.staff_id', 'duplicate_staff_id', seed, rates['duplicate_staff_id'])})
            update ops.staff s set id_number = picked.id_number
            from picked where s.staff_id = picked.staff_id
              and picked.original_id not in (select staff_id from picked)
            returning s.staff_id::text, 'same ID number as staff ' || picked.original_id"""
    ).fetchall()
    counts["duplicate_staff_id"] = _record(conn, "duplicate_staff_id", rows)

    # Dose faults: one per dose, in this order; the dose-number fault needs an unfaulted
    # previous dose of the same category (so the rule flags exactly this row).
    rows = q(
        f"""with ordered as (
                select v.vaccination_id, v.dose_no,
                    lag(v.dose_no) over w as previous_dose_no,
                    lag(v.vaccination_id) over w as previous_id
                from ops.vaccination v
                where not v.is_deleted
                window w as (partition by v.recipient_id, left(v.vaccine_code, 2)
                             order by v.vaccinated_at, v.vaccination_id))
            update ops.vaccination v set dose_no = ordered.previous_dose_no
            from ordered
            where v.vaccination_id = ordered.vaccination_id
              and ordered.previous_dose_no is not null and {new_doses}
              and {_picked('v.vaccination_id', 'wrong_dose_no', seed, rates['wrong_dose_no'])}
              and {_not_faulted('vaccination', 'v.vaccination_id')}
              and {_not_faulted('vaccination', 'ordered.previous_id')}
            returning v.vaccination_id::text, 'dose_no ' || ordered.dose_no || ' -> ' || ordered.previous_dose_no"""
    ).fetchall()
    counts["wrong_dose_no"] = _record(conn, "wrong_dose_no", rows)

    for fault_type, assignment, detail in (
        ("missing_batch_no", "batch_no = null", "'batch_no ' || coalesce(old.batch_no, '') || ' -> null'"),
        ("unknown_site_code", "site_code = '99'", "'site_code ' || coalesce(old.site_code, '') || ' -> 99'"),
        ("expired_vaccine",
         "expiry_date = to_char(v.vaccinated_at::date - (1 + v.vaccination_id % 60)::int, 'YYYY-MM-DD')",
         "'expiry_date ' || coalesce(old.expiry_date, '') || ' before ' || v.vaccinated_at::date"),
    ):
        rows = q(
            f"""update ops.vaccination v set {assignment}
                from ops.vaccination old
                where old.vaccination_id = v.vaccination_id
                  and not v.is_deleted and {new_doses}
                  and {_picked('v.vaccination_id', fault_type, seed, rates[fault_type])}
                  and {_not_faulted('vaccination', 'v.vaccination_id')}
                returning v.vaccination_id::text, {detail}"""
        ).fetchall()
        counts[fault_type] = _record(conn, fault_type, rows)
    return counts
