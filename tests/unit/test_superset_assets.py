"""superset_assets/ is validated before import: broken bundles are refused with the reason."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest
import yaml

from vaxdw.access.model import load_access, region_prefix
from vaxdw.bi.access import RoleScope, rls_clause
from vaxdw.bi.bundle import AssetError, build_bundle, load_assets, validate_assets
from vaxdw.bi.dashboards import all_dashboards, all_datasets
from vaxdw.bi.generate import URI_PLACEHOLDER, chart_file
from vaxdw.bi.labels import column_labels


@pytest.fixture(scope="module")
def assets():
    return load_assets()


def test_committed_assets_are_valid(assets):
    assert validate_assets(assets) == []
    assert {p for p in assets if p.startswith("dashboards/")} == {f"dashboards/{b.slug}.yaml" for b in all_dashboards()}


def test_no_credentials_in_git(assets):
    (db,) = [doc for path, doc in assets.items() if path.startswith("databases/")]
    assert db["sqlalchemy_uri"] == URI_PLACEHOLDER


def _first(assets, prefix):
    return next(p for p in assets if p.startswith(prefix))


def test_dataset_without_columns_is_refused(assets):
    broken = copy.deepcopy(assets)
    broken[_first(broken, "datasets/")]["columns"] = []
    assert any("has no columns" in p for p in validate_assets(broken))


def test_chart_pointing_at_missing_dataset_is_refused(assets):
    broken = copy.deepcopy(assets)
    broken[_first(broken, "charts/")]["dataset_uuid"] = "00000000-0000-0000-0000-000000000000"
    assert any("not in the bundle" in p for p in validate_assets(broken))


def test_layout_without_root_grid_is_refused(assets):
    broken = copy.deepcopy(assets)
    del broken[_first(broken, "dashboards/")]["position"]["GRID_ID"]
    assert any("ROOT_ID → GRID_ID" in p for p in validate_assets(broken))


def test_bundle_fills_in_the_uri_and_has_one_top_folder(tmp_path):
    data = build_bundle("postgresql+psycopg2://reader:secret@localhost/wh?host=/sock")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert {n.split("/")[0] for n in names} == {"vaxdw_assets"}
        db = yaml.safe_load(zf.read(next(n for n in names if "/databases/" in n)))
    assert db["sqlalchemy_uri"].endswith("host=/sock")


def test_broken_folder_raises(tmp_path):
    (tmp_path / "datasets" / "x").mkdir(parents=True)
    (tmp_path / "datasets" / "x" / "d.yaml").write_text("uuid: a\ncolumns: []\ndatabase_uuid: b\n")
    with pytest.raises(AssetError, match="metadata.yaml missing"):
        build_bundle("postgresql://x", tmp_path)


def test_rls_clauses():
    datasets = {d.name: d for d in all_datasets()}
    county = RoleScope("county_lianhu", "莲湖区", ("610104",), None)
    rabies = RoleScope("rabies", "狂犬", ("610000",), ("28",))
    shizhong = datasets["rpt_shizhong"]
    assert rls_clause(shizhong, county) == (
        "(coalesce(unit_township_code, unit_county_code, unit_city_code) like '610104%')")
    assert "left(vaccine_code, 2) in ('28')" in rls_clause(shizhong, rabies)
    assert rls_clause(datasets["dq_check_result"], county) == "1 = 0"
    assert rls_clause(datasets["dq_check_result"], RoleScope("p", "省", ("610000",), None, True)) == "1 = 1"
    with pytest.raises(ValueError):
        rls_clause(shizhong, RoleScope("bad", "x", ("61'; drop",), None))


def test_filter_on_missing_column_is_refused(assets):
    broken = copy.deepcopy(assets)
    board = broken["dashboards/stock.yaml"]
    board["metadata"]["native_filter_configuration"][0]["targets"][0]["column"]["name"] = "no_such_column"
    assert any("does not have" in p for p in validate_assets(broken))


@pytest.mark.parametrize("board", all_dashboards(), ids=lambda b: b.slug)
def test_every_dashboard_spec_is_in_the_folder(assets, board):
    """Every chart of the spec has its file, points at a dataset with columns, and sits in the layout."""
    datasets = {doc["uuid"]: doc for path, doc in assets.items() if path.startswith("datasets/")}
    doc = assets[f"dashboards/{board.slug}.yaml"]
    pos = doc["position"]
    assert pos["ROOT_ID"]["children"] == ["GRID_ID"] and pos["GRID_ID"]["children"]
    placed = {node["meta"]["uuid"] for node in pos.values() if isinstance(node, dict) and node.get("type") == "CHART"}
    for chart in board.charts:
        chart_doc = assets[chart_file(board, chart)]
        assert chart_doc["slice_name"] == chart.title
        assert datasets[chart_doc["dataset_uuid"]]["columns"], chart.key
        assert json.loads(chart_doc["query_context"])["queries"], chart.key
        assert chart_doc["uuid"] in placed
    assert len(placed) == len(board.charts)
    if board.slug != "home":  # each family: key numbers, a bar or line, a table
        kinds = {chart.viz for chart in board.charts}
        assert "big_number" in kinds and kinds & {"bar", "line"} and kinds & {"table", "detail", "pivot"}, kinds


@pytest.mark.parametrize("dataset", all_datasets(), ids=lambda d: d.name)
def test_dataset_scope_columns_exist(assets, dataset):
    doc = assets[f"datasets/vaxdw_warehouse/{dataset.name}.yaml"]
    names = {c["column_name"] for c in doc["columns"]}
    assert set(dataset.region_columns.values()) <= names
    assert dataset.vaccine_column is None or dataset.vaccine_column in names
    for metric in doc["metrics"]:
        assert metric["verbose_name"], metric["metric_name"]
        if metric["d3format"] and metric["d3format"].endswith("%"):
            assert "::float" in metric["expression"], f"rate {metric['metric_name']} not cast to float"


def test_no_dataset_is_left_unscoped():
    """Every (config role, dataset) pair gets a clause that restricts rows: the role's regions (and
    vaccines), or nothing at all; all rows only for read_all_marts roles on province-wide totals."""
    roles = [RoleScope(r.name, r.name_zh, r.regions, r.vaccines, "read_all_marts" in r.permissions)
             for r in load_access().roles.values()]
    for dataset in all_datasets():
        for role in roles:
            clause = rls_clause(dataset, role)
            if clause in ("1 = 0", "1 = 1"):
                assert clause == "1 = 0" or (role.read_unscoped and not dataset.region_columns), (dataset.name, role)
                continue
            assert all(f"'{region_prefix(code)}%'" in clause for code in role.region_codes), (dataset.name, clause)
            if role.vaccine_codes is not None:
                assert f"left({dataset.vaccine_column}, 2) in" in clause, (dataset.name, clause)


def test_vaccine_accounts_see_only_their_vaccine_in_stock():
    datasets = {d.name: d for d in all_datasets()}
    rabies = RoleScope("rabies", "狂犬", ("610000",), ("28",))
    for name in ("stock_on_hand", "stock_reconciliation", "stock_movements", "contract_fulfilment",
                 "stock_indicators", "stock_counts", "plan_summary"):
        clause = rls_clause(datasets[name], rabies)
        assert clause == "(region_code like '61%') and (vaccine_code in ('28') or left(vaccine_code, 2) in ('28'))"
    # no vaccine on a visit or a cold-chain device: nothing for a vaccine-scoped account
    assert rls_clause(datasets["observation"], rabies) == "1 = 0"
    assert rls_clause(datasets["cold_chain_equipment"], rabies) == "1 = 0"


def test_front_page_lists_every_dashboard_and_report():
    boards = all_dashboards()
    home = next(b for b in boards if b.slug == "home")
    for board in boards[1:]:
        assert f"](/superset/dashboard/{board.slug}/)" in home.markdown
        assert board.reports and all(report in home.markdown for report in board.reports)


def test_missing_labels_fall_back_to_column_names():
    assert column_labels("no_such_model") == {}


def test_every_dataset_column_has_a_chinese_label(assets):
    """Labels come from the dbt YAML (meta.label_zh) or the spec: a column the YAML lost (stale YAML) shows
    its raw name in Superset, which this catches once the assets are regenerated."""
    unlabelled = {
        path: [c["column_name"] for c in doc["columns"] if not c.get("verbose_name")]
        for path, doc in assets.items() if path.startswith("datasets/")
    }
    assert {path: cols for path, cols in unlabelled.items() if cols} == {}


def test_chart_titles_are_unique():
    """Tests and analysts find a chart by its title: no two charts share one."""
    titles = [chart.title for board in all_dashboards() for chart in board.charts]
    assert sorted(t for t in set(titles) if titles.count(t) > 1) == []
