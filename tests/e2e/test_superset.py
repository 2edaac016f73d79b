"""Superset end to end: a tiny province through the pipeline, `superset_up` (own venv, metadata DB, asset
import, access sync), the chart data API and CSV under RLS, and Debian's Chromium opening every dashboard
as admin and as scoped users.

Select with ``-m superset``. Needs ``.venv-superset`` and ``/usr/bin/chromium`` (``make test`` installs
both); skipped with the reason otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
import yaml

from vaxdw.access.model import DEFAULT_ACCESS_FILE, parse_access, region_prefix
from vaxdw.bi import server
from vaxdw.bi.access import scopes_from_model, sync_access
from vaxdw.bi.bundle import expected_counts, load_assets
from vaxdw.bi.client import SupersetClient
from vaxdw.bi.dashboards import all_dashboards
from vaxdw.bi.generate import ASSETS_DIR, generate_assets
from vaxdw.bi.setup import import_assets, superset_up
from vaxdw.dbt_runner import run_dbt
from vaxdw.extract_load import load_all
from vaxdw.pipeline import load_ids_of_run
from vaxdw.quality.checkpoint import run_checks
from vaxdw.settings import PROJECT_ROOT, get_settings
from vaxdw.simulator import generate

pytestmark = [
    pytest.mark.superset,
    pytest.mark.skipif(not (server.VENV_DIR / "bin" / "superset").exists(),
                       reason=".venv-superset missing: `make superset-venv`"),
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium missing: apt-get install chromium"),
]

RUN_ID = "superset-test"
ARTIFACTS = PROJECT_ROOT / "out" / "test-artifacts" / "superset"
REGION_SQL = "coalesce(unit_township_code, unit_county_code, unit_city_code)"


@pytest.fixture(scope="module")
def bi_warehouse(pg_admin):
    names = ("src_superset", "wh_superset")
    with psycopg.connect(pg_admin.url, autocommit=True) as conn:
        for name in (*names, server.METADATA_DB):
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, warehouse = (replace(pg_admin, dbname=name) for name in names)
    generate(source, scale="tiny", seed=7)
    load_all(source, warehouse, pipeline_run_id=RUN_ID)
    run_dbt(warehouse, ["build"])
    run_checks(warehouse, load_ids_of_run(warehouse, RUN_ID), run_label=RUN_ID, data_docs=False)
    return warehouse


@pytest.fixture(scope="module")
def township(bi_warehouse) -> tuple[str, str]:
    """The busiest township in Xi'an: a clinic-level account's scope."""
    with psycopg.connect(bi_warehouse.url) as conn:
        return conn.execute(
            "select unit_township_code, min(unit_township_name) from marts.fct_vaccinations "
            "where unit_city_code = '610100' and unit_township_code is not null "
            "group by 1 order by count(*) desc limit 1").fetchone()


@pytest.fixture(scope="module")
def access_model(township):
    """config/access.yaml plus a clinic (township-level) account."""
    data = yaml.safe_load(DEFAULT_ACCESS_FILE.read_text(encoding="utf-8"))
    data["roles"]["clinic_test"] = {"name_zh": "乡镇接种门诊", "regions": [township[0]], "vaccines": "all",
                                    "permissions": ["export_summary"]}
    data["users"]["clinic_user"] = {"roles": ["clinic_test"], "name_zh": "接种门诊用户"}
    return parse_access(data, "test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def superset(bi_warehouse, access_model, tmp_path_factory):
    settings = replace(get_settings(), superset_home=tmp_path_factory.mktemp("superset-home"),
                       superset_port=_free_port(), superset_admin_password=None)
    sup = server.instance(settings)
    try:
        report = superset_up(settings, bi_warehouse, scopes=scopes_from_model(access_model))
        yield sup, report
    finally:
        server.stop(sup)


def _client(sup, user: str) -> SupersetClient:
    if user == sup.admin:
        return SupersetClient(sup.base_url, sup.admin, sup.admin_password)
    passwords = json.loads((sup.home / "passwords.json").read_text(encoding="utf-8"))
    return SupersetClient(sup.base_url, user, passwords[user])


def _chart_ids(client: SupersetClient) -> dict[str, int]:
    return {c["slice_name"]: c["id"] for c in client.list_all("/api/v1/chart/", ["id", "slice_name"])}


def _scalar(client: SupersetClient, chart_id: int) -> float | None:
    data = client.chart_data(chart_id).json()["result"][0]["data"]
    return next(iter(data[0].values())) if data else None


def _sql(warehouse, query: str, *params):
    with psycopg.connect(warehouse.url) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_committed_assets_match_the_specs(bi_warehouse, tmp_path):
    generate_assets(bi_warehouse, tmp_path)
    assert load_assets(tmp_path) == load_assets(ASSETS_DIR), "superset_assets/ is stale: `vaxdw superset generate`"


def test_import_complete_and_server_log_clean(superset):
    sup, report = superset
    assert report.imported == expected_counts()
    log = sup.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "Error running import" not in log, log[-3000:]
    assert (sup.home / "admin_password").stat().st_mode & 0o077 == 0


def test_setup_is_idempotent(superset, bi_warehouse, access_model):
    sup, report = superset
    client = _client(sup, sup.admin)
    kinds = {"/api/v1/chart/": ["id"], "/api/v1/dataset/": ["id"], "/api/v1/dashboard/": ["id"],
             "/api/v1/database/": ["id"], "/api/v1/rowlevelsecurity/": None, "/api/v1/security/roles/": None,
             "/api/v1/security/users/": None}

    def counts():
        return {path: len(client.list_all(path, cols)) for path, cols in kinds.items()}

    before = counts()
    reader = replace(bi_warehouse, user=server.READER_ROLE,
                     password=(sup.home / "reader_password").read_text().strip())
    import_assets(client, reader)
    again = sync_access(client, sup, scopes_from_model(access_model))
    assert counts() == before
    assert again == {**report.access, "rls_removed": 0}


@pytest.mark.parametrize("user", ["lianhu_cdc", "xian_cdc", "clinic_user", "prov_admin"])
def test_scoped_chart_data_and_csv(superset, bi_warehouse, access_model, user):
    sup, _ = superset
    client = _client(sup, user)
    charts = _chart_ids(client)
    prefixes = [region_prefix(code) for role in access_model.users[user].roles for code in role.regions]
    where = " or ".join(f"{REGION_SQL} like %s" for _ in prefixes)
    like = [p + "%" for p in prefixes]

    expected_doses = _sql(bi_warehouse, f"select sum(doses) from marts.rpt_shizhong where {where}", *like)
    expected_persons = _sql(
        bi_warehouse, f"select count(distinct recipient_id) from marts.fct_vaccinations where {where}", *like)
    assert _scalar(client, charts["实种剂次数"]) == expected_doses
    assert _scalar(client, charts["实种人数"]) == expected_persons

    detail = client.chart_data(charts["接种明细"]).json()["result"][0]["data"]
    assert detail, f"{user} sees no detail rows"
    units = {row["unit_id"] for row in detail}
    allowed_units = {r[0] for r in _rows(bi_warehouse, f"select unit_id from marts.fct_vaccinations where {where}",
                                         *like)}
    assert units <= allowed_units

    # CSV download of the same chart: same scope.
    text = client.chart_data(charts["接种明细"], "csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    col = header.index("接种单位编码") if "接种单位编码" in header else header.index("unit_id")
    assert len(rows) > 1 and {r[col] for r in rows[1:]} <= allowed_units

    # new report families: a unit-region mart (实种及时) and a traceability mart scoped on its region_code
    counted = _sql(bi_warehouse, f"select sum(counted) from marts.rpt_entry_timeliness where {where}", *like)
    timely = _sql(bi_warehouse, f"select sum(entry_timely) from marts.rpt_entry_timeliness where {where}", *like)
    assert _scalar(client, charts["及时录入率"]) == pytest.approx(float(timely) / float(counted))
    stock_where = " or ".join("region_code like %s" for _ in prefixes)
    expected_stock = _sql(bi_warehouse, "select sum(stock_dose_quantity) from marts.rpt_stock_on_hand "
                                        f"where {stock_where}", *like)
    assert _scalar(client, charts["库存人份"]) == expected_stock
    ledger = client.chart_data(charts["出入库账簿"]).json()["result"][0]["data"]
    assert ledger and {row["unit_id"] for row in ledger} <= _units_in(bi_warehouse, prefixes)

    # 库存指标、盘点与计划 (the traceability marts' region_code) and 业务人员上传 (rpt_staff_upload's region_code)
    assert _scalar(client, charts["盘点差异批次"]) == _sql(
        bi_warehouse, f"select count(*) filter (where has_discrepancy) from marts.fct_stock_counts where {stock_where}",
        *like)
    assert _scalar(client, charts["审批数量(人份)"]) == _sql(
        bi_warehouse, f"select sum(approved_quantity) from marts.rpt_plan_summary where {stock_where}", *like)
    assert _scalar(client, charts["人员未上传数"]) == _sql(
        bi_warehouse, f"select sum(not_uploaded) from marts.rpt_staff_upload where {stock_where}", *like)
    counts = client.chart_data(charts["盘点明细"]).json()["result"][0]["data"]
    assert counts and {row["unit_id"] for row in counts} <= {
        r[0] for r in _rows(bi_warehouse, f"select unit_id from marts.fct_stock_counts where {stock_where}", *like)}

    failed = client.chart_data(charts["问题明细"]).json()["result"][0]["data"]
    assert all(row["unit_id"] and any(row["unit_id"].startswith(p[:6]) or p.startswith(row["unit_id"][:6])
                                      for p in prefixes) for row in failed)


def _units_in(warehouse, prefixes: list[str]) -> set[str]:
    where = " or ".join("region_code like %s" for _ in prefixes)
    return {r[0] for r in _rows(warehouse, f"select distinct unit_id from marts.fct_stock_movements where {where}",
                                *[p + "%" for p in prefixes])}


def _rows(warehouse, query: str, *params):
    with psycopg.connect(warehouse.url) as conn:
        return conn.execute(query, params).fetchall()


def test_rabies_account_sees_only_rabies_vaccines(superset, bi_warehouse):
    sup, _ = superset
    client = _client(sup, "rabies_user")
    detail = client.chart_data(_chart_ids(client)["接种明细"]).json()["result"][0]["data"]
    expected = _sql(bi_warehouse, "select count(*) from marts.fct_vaccinations where vaccine_code like '28%%'")
    assert len(detail) == min(expected, 500)
    # province-wide rule totals need read_all_marts: none for this account
    assert client.chart_data(_chart_ids(client)["各规则检查结果(最近一次)"]).json()["result"][0]["data"] == []
    # stock and traceability: only rabies vaccines; reports without a vaccine column: nothing
    charts = _chart_ids(client)
    # the account's region is the province: stock rows of units without a known region are not in it
    assert _scalar(client, charts["库存人份"]) == _sql(
        bi_warehouse, "select sum(stock_dose_quantity) from marts.rpt_stock_on_hand "
                      "where vaccine_code like '28%%' and region_code like '61%%'")
    ledger = client.chart_data(charts["出入库账簿"]).json()["result"][0]["data"]
    rabies_names = {r[0] for r in _rows(bi_warehouse, "select distinct vaccine_name from marts.fct_stock_movements "
                                                      "where vaccine_code like '28%%'")}
    assert ledger and {row["vaccine_name"] for row in ledger} <= rabies_names
    assert client.chart_data(charts["留观率统计(各县区)"]).json()["result"][0]["data"] == []
    assert _scalar(client, charts["盘点差异批次"]) == _sql(
        bi_warehouse, "select count(*) from marts.fct_stock_counts "
                      "where has_discrepancy and vaccine_code like '28%%' and region_code like '61%%'")
    stocktake = client.chart_data(charts["盘点明细"]).json()["result"][0]["data"]
    counted_rabies = {r[0] for r in _rows(bi_warehouse, "select distinct vaccine_name from marts.fct_stock_counts "
                                                        "where vaccine_code like '28%%'")}
    assert stocktake and {row["vaccine_name"] for row in stocktake} <= counted_rabies
    assert client.chart_data(charts["业务人员上传(各单位)"]).json()["result"][0]["data"] == []


def test_failed_rows_of_chk_rules_reach_the_region_charts(superset, bi_warehouse):
    """dq_failed_row resolves the unit of rows failed on chk_* tables: every rule that failed rows in the
    latest run on a chk_* table shows up in the province account's (region-scoped) by-rule chart."""
    sup, _ = superset
    client = _client(sup, "prov_admin")
    data = client.chart_data(_chart_ids(client)["各规则问题行数(本辖区, 最近一次)"]).json()["result"][0]["data"]
    shown = {row["rule_name"] for row in data}
    expected = {r[0] for r in _rows(bi_warehouse, """
        select distinct coalesce(r.name_zh, f.rule_id)
        from dq.failed_row as f
        left join (select distinct on (rule_id) rule_id, name_zh from dq.rule order by rule_id, effective_from desc)
            as r on r.rule_id = f.rule_id
        where f.table_name like 'chk%%' and f.run_id = (select max(run_id) from dq.check_run)""")}
    assert expected and expected <= shown


def test_unknown_user_sees_nothing(superset):
    """Default deny: an analyst given dataset access by hand, outside the access model, gets no rows."""
    sup, _ = superset
    admin = _client(sup, sup.admin)
    roles = {r["name"]: r["id"] for r in admin.list_all("/api/v1/security/roles/")}
    users = {u["username"] for u in admin.list_all("/api/v1/security/users/")}
    if "stray_user" not in users:
        admin.post("/api/v1/security/users/", {
            "username": "stray_user", "first_name": "未配置", "last_name": " ", "email": "stray@vaxdw.local",
            "active": True, "password": "stray-pass-1", "roles": [roles["Gamma"], roles["vaxdw_analyst"]]})
    client = SupersetClient(sup.base_url, "stray_user", "stray-pass-1")
    assert _scalar(client, _chart_ids(client)["实种剂次数"]) is None


def test_browser_dashboards(superset, township):
    sup, _ = superset
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # artefacts of this run only
        old.unlink()
    passwords = json.loads((sup.home / "passwords.json").read_text(encoding="utf-8"))
    boards = {b.slug: b for b in all_dashboards()}
    detail_charts = {"shizhong": "接种明细", "stock": "出入库账簿", "stock-indicators": "盘点明细"}
    dashboards = [{"slug": slug, "detail_chart": detail_charts.get(slug)} for slug in boards]
    # What only a browser shows: that a dashboard renders (the frontend's chart plugins, layout and native
    # filters; no chart error, every chart, Chinese titles; the front page lists every dashboard), and that
    # it does for a scoped account too. Scoped numbers, detail rows and CSV come from the same chart data
    # API and are checked there for every scoped account (test_scoped_chart_data_and_csv and the tests after
    # it); the scoped accounts share one permission set (Gamma + vaxdw_analyst, vaxdw/bi/access.py) and
    # differ only in RLS clauses. So: every dashboard once as admin, and each scoped account once, on a
    # dashboard whose detail table shows its scope in a column: the city (西安市, 实种明细), the township
    # (the clinic, 实种明细), the county (莲湖区, 盘点明细, the largest dashboard), the vaccine (狂犬,
    # 出入库账簿); each detail table is rendered scoped at least once. 15 visits, down from 18: the county
    # account also opened 实种明细 and 出入库账簿, the rabies account 盘点明细, all three checked through the
    # API (26 visits before that, when the county account opened every dashboard).
    plan = {sup.admin: None, "xian_cdc": ["shizhong"], "clinic_user": ["shizhong"],
            "lianhu_cdc": ["stock-indicators"], "rabies_user": ["stock"]}
    users = [{"name": name, "password": sup.admin_password if name == sup.admin else passwords[name],
              "dashboards": only, "screenshot": only}  # None: the job's list (every dashboard)
             for name, only in plan.items()]
    job = {"base_url": sup.base_url, "users": users, "dashboards": dashboards, "artifacts": str(ARTIFACTS),
           "screenshot": list(boards)}
    proc = subprocess.run([str(server.VENV_DIR / "bin" / "python"), str(Path(__file__).with_name("superset_browser.py"))],
                          input=json.dumps(job), capture_output=True, text=True, timeout=1000)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout)
    (ARTIFACTS / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    assert len(results) == sum(len(only or boards) for only in plan.values())
    assert {res["slug"] for res in results if res["user"] == sup.admin} == set(boards)
    for res in results:
        board = boards[res["slug"]]
        assert res["errors"] == [], res
        # chart holders: the charts, plus the front page's text block
        assert res["charts"] == len(board.charts) + (1 if board.markdown else 0), res
        assert board.title in res["text"], res["text"][:500]
        if res["slug"] == "home":
            assert all(b.title in res["text"] for b in boards.values())
            assert "最近接种日期" in res["text"]
        if res.get("screenshot"):
            assert Path(res["screenshot"]).stat().st_size > 10_000
    # 出入库账簿 columns: 单据日期, 市, 县(区), 单位, 单位编码, 单据类型, 单据号, 疫苗名称, ...
    ledger = {res["user"]: res["detail_rows"] for res in results if res["slug"] == "stock"}
    assert ledger[sup.admin]
    assert ledger["rabies_user"] and all("狂犬" in row[7] for row in ledger["rabies_user"])
    # 盘点明细 columns: 盘点日期, 市, 县(区), 单位, 单位编码, 疫苗名称, ...
    counts = {res["user"]: res["detail_rows"] for res in results if res["slug"] == "stock-indicators"}
    assert counts[sup.admin]
    assert counts["lianhu_cdc"] and {row[2] for row in counts["lianhu_cdc"]} == {"莲湖区"}
    detail = {res["user"]: res["detail_rows"] for res in results if res["slug"] == "shizhong"}
    # detail columns: 接种日期, 市, 县(区), 乡镇(街道), 接种单位, ...
    # admin: the table renders rows (its first page may all be one city: the detail is not sorted by
    # city; the unscoped province view is checked through the chart data API in test_scoped_chart_data_and_csv)
    assert detail[sup.admin]
    assert detail["xian_cdc"] and {row[1] for row in detail["xian_cdc"]} == {"西安市"}
    assert detail["clinic_user"] and {row[3] for row in detail["clinic_user"]} == {township[1]}
