"""dbt_runner without a database: environment and run_results.json parsing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from vaxdw.db import PgParams
from vaxdw.dbt_runner import DbtRunError, dbt_env, parse_run_results, with_evaluation_date
from vaxdw.settings import get_settings

PARAMS = PgParams(host="/tmp/socket dir", port=5433, user="etl", password="s3cret", dbname="wh")


def test_dbt_env_carries_the_warehouse_connection():
    env = dbt_env(PARAMS)
    assert env["VAXDW_WH_HOST"] == "/tmp/socket dir"
    assert env["VAXDW_WH_PORT"] == "5433"
    assert (env["VAXDW_WH_USER"], env["VAXDW_WH_PASSWORD"], env["VAXDW_WH_DBNAME"]) == ("etl", "s3cret", "wh")
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "False"


def _results(tmp_path, results):
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"elapsed_time": 2.5, "results": results}), encoding="utf-8")
    return path


def test_counts_by_node_type_and_status(tmp_path):
    path = _results(
        tmp_path,
        [
            {"unique_id": "model.vaxdw.dim_unit", "status": "success"},
            {"unique_id": "model.vaxdw.fct_vaccinations", "status": "success"},
            {"unique_id": "seed.vaxdw.ref_sex", "status": "success"},
            {"unique_id": "test.vaxdw.unique_dim_unit_unit_id.1", "status": "pass", "failures": 0},
            {"unique_id": "test.vaxdw.relationships_x.2", "status": "warn", "failures": 3},
        ],
    )
    result = parse_run_results(path, ["build"], 0)
    assert (result.models_built, result.seeds_loaded) == (2, 1)
    assert (result.tests_passed, result.tests_warned, result.tests_failed) == (1, 1, 0)
    assert result.ok and result.elapsed_seconds == 2.5
    assert [node.unique_id for node in result.warned_nodes] == ["test.vaxdw.relationships_x.2"]
    assert "models=2" in str(result)


def test_failure_lists_failing_nodes(tmp_path):
    path = _results(
        tmp_path,
        [
            {"unique_id": "model.vaxdw.dim_unit", "status": "error", "message": "Database Error\nrelation x"},
            {"unique_id": "test.vaxdw.not_null_x.3", "status": "fail", "failures": 2, "message": "Got 2 results"},
            {"unique_id": "model.vaxdw.fct_vaccinations", "status": "skipped"},
        ],
    )
    result = parse_run_results(path, ["build"], 1)
    assert not result.ok
    assert (result.errors, result.tests_failed, result.skipped) == (1, 1, 1)
    message = str(DbtRunError(result))
    assert "model.vaxdw.dim_unit [error]: Database Error | relation x" in message
    assert "test.vaxdw.not_null_x.3 [fail]" in message


def test_missing_run_results_still_raises_with_output(tmp_path):
    result = parse_run_results(tmp_path / "absent.json", ["build"], 2)
    result.stderr = "Could not find profile named 'vaxdw'"
    with pytest.raises(DbtRunError, match="Could not find profile"):
        raise DbtRunError(result)


def test_evaluation_date_setting_goes_to_dbt_unless_the_caller_gave_one():
    settings = replace(get_settings(), evaluation_date=date(2026, 11, 15))
    assert with_evaluation_date(["build"], None, settings) == (["build"], {"evaluation_date": "2026-11-15"})
    assert with_evaluation_date(["run", "--select", "x"], {"a": 1}, settings) == (
        ["run", "--select", "x"], {"a": 1, "evaluation_date": "2026-11-15"})
    # a --vars in args is merged into the one --vars dbt gets
    assert with_evaluation_date(["build", "--vars", "{timezone: UTC}", "-s", "m"], None, settings) == (
        ["build", "-s", "m"], {"timezone": "UTC", "evaluation_date": "2026-11-15"})
    assert with_evaluation_date(["build", '--vars={"a": 2}'], None, settings) == (
        ["build"], {"a": 2, "evaluation_date": "2026-11-15"})
    # the caller's own evaluation date wins, args untouched
    own = ["build", "--vars", '{evaluation_date: "2020-01-01"}']
    assert with_evaluation_date(own, None, settings) == (own, None)
    assert with_evaluation_date(["build"], {"evaluation_date": "2021-01-01"}, settings) == (
        ["build"], {"evaluation_date": "2021-01-01"})
    # not a dbt command, or no setting: unchanged
    assert with_evaluation_date(["--version"], None, settings) == (["--version"], None)
    unset = replace(settings, evaluation_date=None)
    assert with_evaluation_date(["build", "--vars", "{a: 1}"], None, unset) == (["build", "--vars", "{a: 1}"], None)
