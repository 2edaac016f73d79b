"""HTTP client of the remote upload interface (docs/exchange.md §3): one signed POST per batch.

Transient failures — timeouts, connection errors, HTTP 429 and 5xx, and a 200 whose body is not the
documented JSON — raise :class:`TransientError` so the caller retries the same body (the idempotency keys
make that safe). A 4xx refusal of the whole batch raises :class:`BatchRefused` with the remote's code.
"""

from __future__ import annotations

import json

import httpx

from vaxdw.exchange.config import Endpoint
from vaxdw.exchange.signing import sign_headers


class TransientError(Exception):
    """The outcome is unknown or the remote is unavailable: retry the same request."""


class BatchRefused(Exception):
    """The remote refused the whole batch (4xx); its code and message are kept."""

    def __init__(self, http_status: int, code: str, message: str):
        super().__init__(f"HTTP {http_status} {code}: {message}")
        self.http_status, self.code, self.message = http_status, code, message


class UploadClient:
    def __init__(self, endpoint: Endpoint, transport: httpx.BaseTransport | None = None):
        self.endpoint = endpoint
        self._client = httpx.Client(base_url=endpoint.base_url, verify=endpoint.verify,
                                    timeout=endpoint.timeout_seconds, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> UploadClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def post_batch(self, category: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.post_body(category, body["batch_id"], data)

    def post_body(self, category: str, batch_id: str, data: bytes) -> dict:
        """POST an already serialised batch body (UTF-8 JSON whose ``batch_id`` is ``batch_id``)."""
        path = f"/api/v1/upload/{category}"
        headers = sign_headers(self.endpoint.app_id, self.endpoint.secret, "POST", path, data)
        headers["Content-Type"] = "application/json; charset=utf-8"
        headers["Idempotency-Key"] = batch_id
        try:
            response = self._client.post(path, content=data, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise TransientError(f"HTTP {response.status_code} with a body that is not JSON") from exc
        if response.status_code >= 400:
            raise BatchRefused(response.status_code, str(payload.get("code", "")), str(payload.get("message", "")))
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or payload.get("batch_id") != batch_id:
            raise TransientError("response does not match the batch (missing results or other batch_id)")
        return payload
