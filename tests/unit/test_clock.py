"""vaxdw.clock: the evaluation date comes from VAXDW_EVALUATION_DATE, event time never does."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.conftest import FROZEN_TODAY
from vaxdw import clock
from vaxdw.settings import get_settings


def test_the_test_session_runs_on_the_frozen_evaluation_date():
    assert get_settings().evaluation_date == FROZEN_TODAY
    assert clock.today() == FROZEN_TODAY


def test_setting_overrides_today_and_unset_means_today_in_the_project_time_zone(monkeypatch):
    monkeypatch.setenv("VAXDW_EVALUATION_DATE", "2024-02-29")
    assert clock.today() == date(2024, 2, 29)
    monkeypatch.delenv("VAXDW_EVALUATION_DATE")
    settings = get_settings()
    assert settings.evaluation_date is None
    before = clock.local_now(settings).date()
    assert clock.today(settings) in (before, before + timedelta(days=1))  # midnight may pass in between
    assert clock.today(replace(settings, evaluation_date=date(2030, 1, 1))) == date(2030, 1, 1)


def test_event_time_is_the_real_clock_whatever_the_setting(monkeypatch):
    monkeypatch.setenv("VAXDW_EVALUATION_DATE", "2001-01-01")
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert now.year > 2001 and abs(now.timestamp() - time.time()) < 60
    assert clock.local_now().utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("value", ["2026/11/15", "15.11.2026", "2026-13-01", "20261115", "today"])
def test_invalid_evaluation_date_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("VAXDW_EVALUATION_DATE", value)
    with pytest.raises(ValueError, match="VAXDW_EVALUATION_DATE"):
        get_settings()


def test_empty_evaluation_date_means_unset(monkeypatch):
    monkeypatch.setenv("VAXDW_EVALUATION_DATE", " ")
    assert get_settings().evaluation_date is None
