"""A small client for Superset's REST API (JWT login + CSRF token), with errors that show the body."""

from __future__ import annotations

from typing import Any

import requests


class SupersetError(RuntimeError):
    pass


class SupersetClient:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 120):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        resp = self.session.post(
            f"{self.base_url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
            timeout=timeout,
        )
        if resp.status_code != 200:
            raise SupersetError(f"login as {username} failed: HTTP {resp.status_code} {resp.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": self.base_url})

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        resp = self.session.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        if resp.status_code >= 400:
            raise SupersetError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:500]}")
        return resp

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=payload, **kwargs).json()

    def put(self, path: str, payload: dict[str, Any]) -> Any:
        return self.request("PUT", path, json=payload).json()

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def list_all(self, path: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """Every row of a list endpoint (pages of 100)."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            cols = f",columns:!({','.join(columns)})" if columns else ""
            body = self.get(f"{path}?q=(page:{page},page_size:100{cols})")
            rows.extend(body["result"])
            if len(body["result"]) < 100:
                return rows
            page += 1

    def import_assets(self, bundle: bytes) -> None:
        self.request("POST", "/api/v1/assets/import/",
                     files={"bundle": ("vaxdw_assets.zip", bundle, "application/zip")})

    def export_assets(self) -> bytes:
        return self.request("GET", "/api/v1/assets/export/").content

    def chart_data(self, chart_id: int, fmt: str = "json") -> requests.Response:
        suffix = "" if fmt == "json" else f"?format={fmt}&type=full"
        return self.request("GET", f"/api/v1/chart/{chart_id}/data/{suffix}")
