from datetime import date

import pytest

from vaxdw import idcard


def test_reference_id_is_valid():
    assert idcard.check_digit("11010519491231002") == "X"
    assert idcard.validate("11010519491231002X") == []
    assert idcard.validate("11010519491231002X", date(1949, 12, 31), "2") == []


def test_make_id_roundtrip_and_sex_parity():
    for sex in ("1", "2"):
        for seq in (0, 7, 499):
            number = idcard.make_id("610102", date(2023, 2, 28), seq, sex)
            assert len(number) == 18
            assert idcard.validate(number, date(2023, 2, 28), sex) == []
            assert idcard.sex_of(number) == sex


def test_problem_codes():
    good = idcard.make_id("610102", date(2023, 2, 28), 12, "1")
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert idcard.validate(wrong_check) == ["check_digit"]
    assert idcard.validate(good, birth_date=date(2023, 3, 1)) == ["birth_date_mismatch"]
    assert idcard.validate(good, sex="2") == ["sex_mismatch"]
    assert idcard.validate("61010220230228") == ["format"]
    assert idcard.validate(None) == ["format"]
    assert idcard.validate("6101022023022801x1") == ["format"]
    bad_date = "61010220230230012"
    assert idcard.validate(bad_date + idcard.check_digit(bad_date)) == ["invalid_date"]


def test_make_id_rejects_bad_input():
    with pytest.raises(ValueError):
        idcard.make_id("6101", date(2023, 1, 1), 1, "1")
    with pytest.raises(ValueError):
        idcard.make_id("610102", date(2023, 1, 1), 1, "9")
