"""`make superset`: configure, start, import the assets, sync access — idempotent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from vaxdw.bi import server
from vaxdw.bi.access import UserScope, load_scopes, sync_access
from vaxdw.bi.bundle import build_bundle, expected_counts
from vaxdw.bi.client import SupersetClient
from vaxdw.bi.generate import ASSETS_DIR
from vaxdw.bi.metadata_secrets import check_metadata_secrets
from vaxdw.db import PgParams, resolve
from vaxdw.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SetupReport:
    sup: server.Superset
    started_pid: int | None
    imported: dict[str, int]
    access: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def as_text(self) -> str:
        lines = [
            f"Superset: {self.sup.base_url}/superset/dashboard/home/ "
            + (f"(started, pid {self.started_pid})" if self.started_pid else "(already running)"),
            f"admin user: {self.sup.admin}; password: "
            + ("from VAXDW_SUPERSET_ADMIN_PASSWORD" if not (self.sup.home / "admin_password").exists()
               else f"in {self.sup.home / 'admin_password'}"),
            f"user passwords (generated unless VAXDW_PASSWORD_<USER> is set): {self.sup.home / 'passwords.json'}",
            "imported: " + ", ".join(f"{k} {v}" for k, v in self.imported.items()),
            "access: " + ", ".join(f"{k} {v}" for k, v in self.access.items()),
            f"log: {self.sup.log_path}; stop: vaxdw superset stop",
        ]
        return "\n".join(lines + self.notes)


def import_assets(client: SupersetClient, warehouse_reader: PgParams, folder: Path = ASSETS_DIR) -> dict[str, int]:
    """Import the asset folder, then check nothing was dropped (the importer skips silently)."""
    client.import_assets(build_bundle(warehouse_reader.sqlalchemy_url, folder))
    expected = expected_counts(folder)
    live = {
        "databases": len(client.list_all("/api/v1/database/", ["id"])),
        "datasets": len(client.list_all("/api/v1/dataset/", ["id"])),
        "charts": len(client.list_all("/api/v1/chart/", ["id"])),
        "dashboards": len(client.list_all("/api/v1/dashboard/", ["id"])),
    }
    short = {k: (live[k], v) for k, v in expected.items() if live[k] < v}
    if short:
        raise RuntimeError(f"import dropped assets (live, expected): {short}")
    return expected


def superset_up(settings: Settings, warehouse: PgParams | None = None, access_config: str | None = None,
                scopes: list[UserScope] | None = None, reset_connections: bool = False) -> SetupReport:
    warehouse = warehouse or resolve(settings)[1]
    sup = server.instance(settings)
    reader = server.ensure_reader(warehouse, server._secret(sup.home / "reader_password"))
    metadata = server.ensure_metadata_db(warehouse)
    server.write_config(sup, metadata)
    # a metadata database written under another SECRET_KEY: a clear error (or the repair asked for) before
    # `superset init` / the import fail with a bare "Invalid decryption key"
    notes = check_metadata_secrets(sup, metadata, settings.superset_previous_secret_key, reset_connections)
    server.initialise(sup)
    pid = server.start(sup)
    client = SupersetClient(sup.base_url, sup.admin, sup.admin_password)
    imported = import_assets(client, reader)
    access = sync_access(client, sup, scopes if scopes is not None else load_scopes(access_config))
    return SetupReport(sup, pid, imported, access, notes)
