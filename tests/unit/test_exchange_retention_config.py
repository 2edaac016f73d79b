"""The outbox retention setting: read from VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS (default 30), never negative."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vaxdw.exchange.config import exchange_config
from vaxdw.exchange.retention import DEFAULT_RETENTION_DAYS, RetentionError, check_retention
from vaxdw.settings import get_settings


def test_retention_days_come_from_the_exchange_settings():
    settings = get_settings()
    assert exchange_config(replace(settings, extra={})).payload_retention_days == DEFAULT_RETENTION_DAYS == 30
    extra = {"VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS": "7"}
    assert exchange_config(replace(settings, extra=extra)).payload_retention_days == 7


def test_negative_retention_is_refused():
    assert check_retention(0) == 0
    with pytest.raises(RetentionError, match="不能为负数"):
        check_retention(-1)
