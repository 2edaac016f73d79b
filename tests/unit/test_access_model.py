"""The access model: config validation, region/vaccine coverage, authorize's decisions and SQL filter."""

from __future__ import annotations

import pytest
import yaml

from vaxdw.access import AccessConfigError, AccessDenied, ExportScope, authorize, load_access, parse_access
from vaxdw.access.model import region_prefix
from vaxdw.access.postgres import scope_rows


@pytest.fixture(scope="module")
def model():
    return load_access()


def test_project_config_loads(model):
    assert "rabies_user" in model.users
    rabies = model.users["rabies_user"].roles[0]
    assert rabies.vaccines == ("28",) and rabies.regions == ("610000",)


@pytest.mark.parametrize(("code", "prefix"), [("610000", "61"), ("610100", "6101"), ("610104", "610104"),
                                              ("610104001", "610104001")])
def test_region_prefix(code, prefix):
    assert region_prefix(code) == prefix


@pytest.mark.parametrize(("mutation", "message"), [
    (lambda d: d["roles"]["rabies_account"].update(vaccines=["狂犬"]), "neither a 2-digit category"),
    (lambda d: d["roles"]["rabies_account"].update(regions=[610000]), "quote it in YAML"),
    (lambda d: d["roles"]["rabies_account"].update(permissions=["export_all"]), "unknown permission"),
    (lambda d: d["users"]["rabies_user"].update(roles=["nobody"]), "unknown roles"),
    (lambda d: d["roles"]["rabies_account"].update(colour="red"), "unknown keys"),
    (lambda d: d.update(groups={}), "top level"),
])
def test_invalid_config_names_the_entry(mutation, message):
    from vaxdw.access.model import DEFAULT_ACCESS_FILE

    data = yaml.safe_load(DEFAULT_ACCESS_FILE.read_text(encoding="utf-8"))
    mutation(data)
    with pytest.raises(AccessConfigError, match=message):
        parse_access(data)


def test_refusals_are_chinese_and_specific(model):
    with pytest.raises(AccessDenied, match="无权导出疫苗 0202"):
        authorize("rabies_user", "export_detail", ExportScope.of(vaccines=["0202"]), model)
    with pytest.raises(AccessDenied, match="没有“导出明细数据”权限"):
        authorize("lianhu_cdc", "export_detail", ExportScope(), model)
    with pytest.raises(AccessDenied, match="无权导出地区 610000"):
        authorize("xian_cdc", "export_summary", ExportScope.of(regions=["610000"]), model)
    with pytest.raises(AccessDenied, match="未在访问控制配置中定义"):
        authorize("stranger", "export_summary", ExportScope(), model)


def test_allowed_requests(model):
    assert authorize("rabies_user", "export_detail", ExportScope.of(vaccines=["2801"]), model).allows_vaccine("2801")
    grant = authorize("xian_cdc", "export_summary", ExportScope.of(regions=["610104"]), model)
    assert grant.allows_vaccine("0202")
    rabies = authorize("rabies_user", "export_summary", ExportScope(), model)
    assert rabies.allows_vaccine("2801") and not rabies.allows_vaccine("0202")


def test_sql_filter_matches_python_coverage(pg_admin, model):
    """The grant's SQL filter selects exactly the rows authorize's coverage rules allow."""
    import psycopg

    rows = [("610104001", "2801"), ("610104001", "0202"), ("610202100", "2801"), ("610000", "2801"),
            ("610100", "0101"), ("610104", "0101")]
    with psycopg.connect(pg_admin.url) as conn:
        conn.execute("create temp table t (region_code text, vaccine_code text)")
        conn.cursor().executemany("insert into t values (%s, %s)", rows)
        for user, expected in [
            ("rabies_user", {("610104001", "2801"), ("610202100", "2801"), ("610000", "2801")}),
            ("xian_cdc", {("610104001", "2801"), ("610104001", "0202"), ("610100", "0101"), ("610104", "0101")}),
            ("lianhu_cdc", {("610104001", "2801"), ("610104001", "0202"), ("610104", "0101")}),
        ]:
            where, params = authorize(user, "export_summary", ExportScope(), model).sql_filter(
                "region_code", "vaccine_code")
            got = set(conn.execute(f"select * from t where {where}", params).fetchall())
            assert got == expected, user


def test_scope_rows_expand_users_roles_regions_vaccines(model):
    rows = scope_rows(model)
    assert ("rabies_user", "rabies_account", "61", "28") in rows
    assert ("xian_cdc", "city_xian", "6101", "*") in rows
