"""Database access: the embedded PostgreSQL (pgserver) and connections by URL.

Connections are opened per use (``with connect(url) as conn``); nothing holds a global
connection.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import psycopg

from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

SOURCE_DB = "vaxdw_source"
WAREHOUSE_DB = "vaxdw_warehouse"


@dataclass(frozen=True)
class PgParams:
    """The parts of a PostgreSQL URL that dbt, GE and psycopg each want separately."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def url(self) -> str:
        auth = quote(self.user) + (":" + quote(self.password) if self.password else "")
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{self.dbname}?host={self.host}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.dbname}"

    @property
    def sqlalchemy_url(self) -> str:
        """psycopg2 URL with a dummy host where the real one is a socket (GE needs a host)."""
        auth = quote(self.user) + (":" + quote(self.password) if self.password else "")
        if self.host.startswith("/"):
            return (
                f"postgresql+psycopg2://{auth}@localhost/{self.dbname}"
                f"?host={self.host}&port={self.port}"
            )
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{self.dbname}"


def parse_url(url: str) -> PgParams:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    port = int(query.get("port", [parsed.port or 5432])[0])
    return PgParams(
        host=host,
        port=port,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
    )


# pgserver's list of the processes holding the server (pgdata/.handle_pids.json), rewritten in place on every
# start and exit: a crash mid-write (a full disk) leaves it empty or cut off, and pgserver then fails with a
# bare JSONDecodeError on every later start.
HANDLE_PIDS_FILE = ".handle_pids.json"


def repair_handle_pids(pgdata: Path) -> bool:
    """Reset an empty or unreadable ``.handle_pids.json`` to an empty list; True when it was reset.

    The list only decides which exiting process stops a server started with a cleanup mode; ours run with
    none, so the pids lost with the file do not matter. Taken under pgserver's own inter-process lock, so a
    file another process is writing at that moment is not mistaken for a corrupt one."""
    path = pgdata / HANDLE_PIDS_FILE
    if not path.exists():
        return False
    from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            text, problem = "", f"unreadable ({exc})"
        else:
            try:
                values = json.loads(text)
            except ValueError as exc:
                problem = "empty" if not text.strip() else f"not valid JSON ({exc})"
            else:
                if isinstance(values, list) and all(isinstance(v, int) for v in values):
                    return False
                problem = "not a list of process ids"
        log.warning("embedded PostgreSQL: %s is %s, content %r, left by a crash (e.g. a full disk); "
                    "resetting it to an empty list so the server can start", path, problem, text[:80])
        tmp = path.with_name(HANDLE_PIDS_FILE + ".tmp")
        tmp.write_text("[]", encoding="utf-8")
        os.replace(tmp, path)
    return True


def start_embedded(settings: Settings) -> PgParams:
    """Start (or reuse) the embedded server; return parameters for its ``postgres`` db."""
    import pgserver

    settings.pgdata_dir.mkdir(parents=True, exist_ok=True)
    repair_handle_pids(settings.pgdata_dir)
    server = pgserver.get_server(str(settings.pgdata_dir), cleanup_mode=None)
    return parse_url(server.get_uri())


def _ensure_database(admin: PgParams, dbname: str) -> None:
    with psycopg.connect(admin.url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            log.info("creating database %s", dbname)
            conn.execute(f'create database "{dbname}"')


def resolve(settings: Settings | None = None) -> tuple[PgParams, PgParams]:
    """Return (source, warehouse) connection parameters, starting the embedded server if needed."""
    settings = settings or get_settings()
    if not settings.embedded:
        return parse_url(settings.source_url or ""), parse_url(settings.warehouse_url or "")
    admin = start_embedded(settings)
    params = []
    for dbname in (SOURCE_DB, WAREHOUSE_DB):
        _ensure_database(admin, dbname)
        params.append(PgParams(admin.host, admin.port, admin.user, admin.password, dbname))
    return params[0], params[1]


def source_params(settings: Settings | None = None) -> PgParams:
    return resolve(settings)[0]


def warehouse_params(settings: Settings | None = None) -> PgParams:
    return resolve(settings)[1]


def service_params(service: str, settings: Settings | None = None) -> PgParams:
    """The warehouse as one service's least-privilege login (loader, transformer, quality) when its URL is
    configured (VAXDW_<SERVICE>_URL), else the warehouse URL."""
    settings = settings or get_settings()
    urls = {"loader": settings.loader_url, "transformer": settings.transformer_url, "quality": settings.quality_url}
    if service not in urls:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(urls)}")
    url = urls[service]
    return parse_url(url) if url else warehouse_params(settings)


@contextmanager
def connect(params: PgParams, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    # UTF-8 always: against a legacy SQL_ASCII database this passes bytes through unconverted,
    # and the loader sets aside rows that are not valid UTF-8.
    with psycopg.connect(params.url, autocommit=autocommit, client_encoding="utf8") as conn:
        conn.execute("set timezone to 'Asia/Shanghai'")
        yield conn
