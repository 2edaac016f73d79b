"""The lock-file vulnerability scan against a local OSV-API simulator (a real HTTP server on 127.0.0.1),
and the plain statement when the advisory database cannot be reached."""

import json

from fastapi import FastAPI, Request

from vaxdw.exchange.simulators.server_thread import ServerThread
from vaxdw.security.vuln_scan import EXIT_CLEAN, EXIT_FOUND, EXIT_UNREACHABLE, main, read_pins, scan
from vaxdw.settings import PROJECT_ROOT

# The simulator's advisory data: (normalised name, version) -> OSV ids
ADVISORIES = {("jinja2", "2.10"): ["GHSA-462w-v97r-4m45", "PYSEC-2019-217"]}


def _osv_app(seen: list[int]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/querybatch")
    async def querybatch(request: Request) -> dict:
        queries = (await request.json())["queries"]
        seen.append(len(queries))
        return {"results": [
            {"vulns": [{"id": i, "modified": "2026-01-01T00:00:00Z"}
                       for i in ADVISORIES.get((q["package"]["name"], q["version"]), [])]}
            if ADVISORIES.get((q["package"]["name"], q["version"])) else {}
            for q in queries
        ]}

    return app


def test_read_pins_normalises_and_skips_everything_else(tmp_path):
    lock = tmp_path / "a.lock"
    lock.write_text("# comment\nJinja2==2.10 \\\n    --hash=sha256:abc\nzope.interface==7.0  # via x\n"
                    "-e .\nrequests[socks]==2.32.3\nnot a pin\n", encoding="utf-8")
    pins = read_pins([lock, lock])
    assert [(p.name, p.version) for p in pins] == [("jinja2", "2.10"), ("requests", "2.32.3"),
                                                    ("zope-interface", "7.0")]


def test_the_project_lock_files_are_fully_pinned():
    pins = read_pins([PROJECT_ROOT / "requirements.lock", PROJECT_ROOT / "requirements-superset.lock"])
    names = {p.name for p in pins}
    assert {"apache-airflow", "dbt-core", "great-expectations", "openpyxl", "apache-superset"} <= names
    lines = sum(1 for f in ("requirements.lock", "requirements-superset.lock")
                for line in (PROJECT_ROOT / f).read_text().splitlines() if "==" in line)
    assert len(pins) <= lines and len(pins) > 250


def test_scan_reports_the_advisories_the_database_has(tmp_path):
    lock = tmp_path / "x.lock"
    lock.write_text("jinja2==2.10\nopenpyxl==3.1.5\n" + "".join(f"pkg{i}==1.0\n" for i in range(600)),
                    encoding="utf-8")
    seen: list[int] = []
    with ServerThread(_osv_app(seen)) as osv:
        result = scan(read_pins([lock]), [lock.name], osv.url)
        out = tmp_path / "scan.json"
        code = main([str(lock), "--out", str(out), "--osv-url", osv.url])
    assert result.reachable and result.packages == 602 and sorted(seen) == [102, 102, 500, 500]
    assert result.advisories == {"jinja2==2.10": ADVISORIES[("jinja2", "2.10")]}
    assert result.exit_code == code == EXIT_FOUND
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["advisories"] == result.advisories and written["exit_code"] == EXIT_FOUND

    lock.write_text("openpyxl==3.1.5\n", encoding="utf-8")
    with ServerThread(_osv_app([])) as osv:
        assert scan(read_pins([lock]), [lock.name], osv.url).exit_code == EXIT_CLEAN


def test_unreachable_advisory_data_is_said_plainly(tmp_path):
    lock = tmp_path / "x.lock"
    lock.write_text("jinja2==2.10\n", encoding="utf-8")
    with ServerThread(_osv_app([])) as osv:
        closed = osv.url  # the port is closed once the server stops
    result = scan(read_pins([lock]), [lock.name], closed, timeout=2)
    assert not result.reachable and result.exit_code == EXIT_UNREACHABLE and result.advisories == {}
    assert "NOT SCANNED" in result.as_text() and "no statement is made" in result.as_text()
