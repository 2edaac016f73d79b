"""dq.gb11643_check_char (SQL) agrees with a Python reference of GB 11643-1999 on generated IDs."""

from __future__ import annotations

import random

from vaxdw.db import connect
from vaxdw.quality.schema import ensure_schema

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reference_check_char(id17: str) -> str:
    """S = Σ digit × weight; check = '10X98765432'[S mod 11]."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(id17, WEIGHTS, strict=True)) % 11]


def test_reference_on_published_id() -> None:
    assert reference_check_char("11010519491231002") == "X"  # 11010519491231002X (DOMAIN.md §3.4)
    # weights are 2^(17-i) mod 11 (the form id-validator uses)
    assert WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))


def test_sql_check_char_matches_python(fresh_dbs) -> None:
    _, wh = fresh_dbs
    rng = random.Random(11643)
    bodies = ["11010519491231002"] + [
        "".join(rng.choice("0123456789") for _ in range(17)) for _ in range(400)
    ]
    with connect(wh, autocommit=True) as conn:
        ensure_schema(conn)
        ensure_schema(conn)  # idempotent
        got = conn.execute(
            "select b, dq.gb11643_check_char(b || '0') from unnest(%s::text[]) as b",
            (bodies,),
        ).fetchall()
        assert {b: ch for b, ch in got} == {b: reference_check_char(b) for b in bodies}
        # every check character occurs in the sample
        assert {ch for _, ch in got} == set("10X98765432")
        # non-ID input gives NULL, never an error
        for bad in ("", "12345", "1101051949123100", "A1010519491231002X", "１１０１０５１９４９１２３１００２X"):
            assert conn.execute("select dq.gb11643_check_char(%s)", (bad,)).fetchone()[0] is None
        assert conn.execute("select dq.gb11643_check_char(null)").fetchone()[0] is None
        # the 17-digit body alone also works (the 18th char is ignored)
        assert conn.execute("select dq.gb11643_check_char('11010519491231002')").fetchone()[0] == "X"
