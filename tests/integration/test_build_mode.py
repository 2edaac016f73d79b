"""Which dbt build runs (vaxdw.build_mode), and the load lock that keeps loads out of a build."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import date

import pytest

from vaxdw import build_mode
from vaxdw.db import connect
from vaxdw.extract_load import load_all
from vaxdw.extract_load.control import CONTROL_DDL
from vaxdw.extract_load.lock import loads_paused
from vaxdw.settings import get_settings
from vaxdw.simulator import generate


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "dbt_project"
    shutil.copytree(get_settings().dbt_project_dir, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def _succeed(warehouse, mode) -> None:
    build_mode.finish(warehouse, build_mode.start(warehouse, mode, "test"), True, 1.0)


def test_full_refresh_when_first_asked_weekly_or_history_changed(fresh_dbs, project):
    _, warehouse = fresh_dbs
    monday, sunday = date(2026, 11, 16), date(2026, 11, 22)
    first = build_mode.decide(warehouse, project, today=monday, weekly="sun")
    assert first.full_refresh and "first build" in first.reason
    _succeed(warehouse, first)
    daily = build_mode.decide(warehouse, project, today=monday, weekly="sun")
    assert daily.dbt_args() == ["build"]
    assert daily.dbt_vars() == {}  # no load drawn yet when the first build started: every row is tested
    assert build_mode.decide(warehouse, project, today=sunday, weekly="sun").reason.startswith("weekly")
    assert not build_mode.decide(warehouse, project, today=sunday, weekly="").full_refresh
    asked = build_mode.decide(warehouse, project, requested=True, today=monday)
    assert asked.dbt_args() == ["build", "--full-refresh"]

    # the per-run evaluation date is not history: it never forces a full refresh
    assert not build_mode.decide(warehouse, project, today=monday,
                                 extra_vars={"evaluation_date": "2026-10-31"}).full_refresh
    yml = project / "dbt_project.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("observation_minutes: 30", "observation_minutes: 20"),
                   encoding="utf-8")
    changed = build_mode.decide(warehouse, project, today=monday)
    assert changed.full_refresh and "vars" in changed.reason and "seeds" not in changed.reason
    failed = build_mode.start(warehouse, changed, "test")
    build_mode.finish(warehouse, failed, False, 1.0)  # a failed full refresh does not count
    assert build_mode.decide(warehouse, project, today=monday).full_refresh
    _succeed(warehouse, changed)
    assert not build_mode.decide(warehouse, project, today=monday).full_refresh

    seed = next((project / "seeds").glob("*.csv"))
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    reseeded = build_mode.decide(warehouse, project, today=monday)
    assert reseeded.full_refresh and "seeds" in reseeded.reason
    _succeed(warehouse, reseeded)
    model = next((project / "models").rglob("fct_vaccinations.sql"))
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    assert "models" in build_mode.decide(warehouse, project, today=monday).reason
    with connect(warehouse) as conn:
        modes = [row[0] for row in conn.execute("select mode from control.dbt_build order by build_id")]
    assert modes == ["full_refresh"] * 4


def test_a_load_waits_for_a_running_build(fresh_dbs):
    source, warehouse = fresh_dbs
    generate(source, scale="tiny", seed=5, children=50)
    finished = threading.Event()
    with loads_paused(warehouse):
        loader = threading.Thread(target=lambda: (load_all(source, warehouse, only=["region"]), finished.set()))
        loader.start()
        waiting = False
        for _ in range(200):  # until the loader is seen waiting on the advisory lock
            with connect(warehouse) as conn:
                waiting = conn.execute(
                    "select count(*) > 0 from pg_stat_activity where datname = current_database() "
                    "and wait_event_type = 'Lock' and wait_event = 'advisory'"
                ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting and not finished.is_set()
    loader.join(timeout=120)
    assert finished.is_set()
    with connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.region").fetchone()[0] > 0
        (drawn,) = conn.execute("select last_value from control.load_id_seq").fetchone()
    # a build records the highest load id drawn when it started: the next daily build tests the rows above it
    _succeed(warehouse, build_mode.BuildMode(True, "test"))
    assert build_mode.last_build(warehouse)[1] == drawn
    assert build_mode.BuildMode(False, "daily", tested_above_load_id=drawn).dbt_vars() == {
        "tested_above_load_id": drawn}
    assert build_mode.BuildMode(True, "weekly", tested_above_load_id=drawn).dbt_vars() == {}


def test_a_build_before_any_load_has_every_later_load_tested(fresh_dbs):
    """The load id sequence exists but was never drawn from (last_value 1, is_called false): a build then
    records 0, so the first load (id 1) is among the rows the next daily build tests."""
    _, warehouse = fresh_dbs
    with connect(warehouse) as conn:
        conn.execute(CONTROL_DDL)
    _succeed(warehouse, build_mode.BuildMode(True, "first build"))
    assert build_mode.last_build(warehouse)[1] == 0
    with connect(warehouse) as conn:
        first_load_id = conn.execute("select nextval('control.load_id_seq')").fetchone()[0]
    assert first_load_id > build_mode.last_build(warehouse)[1]
