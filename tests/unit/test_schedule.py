from datetime import date

from vaxdw.schedule import add_months, load_doses, schedule_for, schedules, version_for


def test_both_versions_load_typed():
    versions = schedules()
    assert set(versions) == {"2021", "2025"}
    hepb1 = versions["2021"].dose("02", 1)
    assert hepb1.completion_age_hours == 24 and hepb1.completion_age_months is None
    assert hepb1.recommended_vaccine_code == "0202"
    assert isinstance(versions["2021"].dose("04", 4).min_interval_days, int)
    assert len(load_doses()) == sum(len(s.doses) for s in versions.values())


def test_dtap_change_by_birth_date():
    old, new = schedule_for(date(2024, 12, 31)), schedule_for(date(2025, 1, 1))
    assert old.version == "2021" and new.version == "2025"
    assert len(old.series()["04"]) == 4 and len(new.series()["04"]) == 5
    assert "06" in old.series() and "06" not in new.series()
    assert new.dose("04", 1).min_age_months == 2
    # the switch date is a parameter (UNCONFIRMED in DOMAIN.md)
    assert version_for(date(2025, 3, 1), switch_2025=date(2025, 6, 1)) == "2021"


def test_ages_and_completion_dates():
    birth = date(2024, 1, 31)
    assert add_months(birth, 1) == date(2024, 2, 29)
    schedule = schedule_for(birth)
    # exclusive bound: a dose on or before birth + 1 day is timely (DOMAIN.md §1.2)
    assert schedule.dose("02", 1).completion_date(birth) == date(2024, 2, 2)
    assert schedule.dose("12", 1).min_age_date(birth) == date(2024, 9, 30)
    assert schedule.dose("12", 1).completion_date(birth) == date(2025, 1, 31)
