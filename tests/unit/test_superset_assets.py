"""superset_assets/ is validated before import: broken bundles are refused with the reason."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
import yaml

from vaxdw.bi.access import RoleScope, rls_clause
from vaxdw.bi.bundle import AssetError, build_bundle, load_assets, validate_assets
from vaxdw.bi.dashboards import all_dashboards, all_datasets
from vaxdw.bi.generate import URI_PLACEHOLDER


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
