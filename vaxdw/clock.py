"""The project clock: the one place that reads the wall clock.

- :func:`today` is the evaluation date T, what "today" means for business defaults: a report's as-of
  date, a default period or month, the quality rule set in force, the 制表日期 of a statement, dbt's
  var ``evaluation_date``. It is the setting ``evaluation_date`` (``VAXDW_EVALUATION_DATE``) when set,
  else today in the project time zone (``settings.timezone``, Asia/Shanghai).
- :func:`now` is the real current instant, for event timestamps (an audit row, a load's start, an
  alert, a backup). The setting never moves it: an environment variable must not backdate an audit log.

Everything else asks this module; ``tests/unit/test_no_wall_clock.py`` keeps it so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from vaxdw.settings import Settings, get_settings


def today(settings: Settings | None = None) -> date:
    """The evaluation date: ``settings.evaluation_date``, else today in ``settings.timezone``."""
    settings = settings or get_settings()
    if settings.evaluation_date is not None:
        return settings.evaluation_date
    return datetime.now(ZoneInfo(settings.timezone)).date()


def now() -> datetime:
    """The real current instant (timezone-aware, UTC), for event timestamps; ignores ``evaluation_date``."""
    return datetime.now(UTC)


def local_now(settings: Settings | None = None) -> datetime:
    """The real current instant in the project time zone (aware); ignores ``evaluation_date``."""
    settings = settings or get_settings()
    return now().astimezone(ZoneInfo(settings.timezone))
