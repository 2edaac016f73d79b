"""Database access: the embedded PostgreSQL (pgserver) and connections by URL.

Connections are opened per use (``with connect(url) as conn``); nothing holds a global
connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def start_embedded(settings: Settings) -> PgParams:
    """Start (or reuse) the embedded server; return parameters for its ``postgres`` db."""
    import pgserver

    settings.pgdata_dir.mkdir(parents=True, exist_ok=True)
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
